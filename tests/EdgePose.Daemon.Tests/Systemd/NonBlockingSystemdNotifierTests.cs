using System.Diagnostics;
using System.Net.Sockets;
using EdgePose.Daemon.Systemd;
using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace EdgePose.Daemon.Tests.Systemd;

public sealed class NonBlockingSystemdNotifierTests
{
    [Fact]
    public void A_full_notify_queue_drops_and_counts_instead_of_waiting()
    {
        var directory = Directory.CreateTempSubdirectory("edgepose-notify-").FullName;
        try
        {
            var path = Path.Combine(directory, "notify");
            using var manager = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            manager.Bind(new UnixDomainSocketEndPoint(path));
            var registry = Prometheus.Metrics.NewCustomRegistry();
            using var notifier = new NonBlockingSystemdNotifier(path, new PoseMetrics(registry), NullLogger<NonBlockingSystemdNotifier>.Instance);
            const int sent = 50;

            var watch = Stopwatch.StartNew();
            for (var i = 0; i < sent; i++)
            {
                notifier.Notify(new ServiceState("WATCHDOG=1"));
            }

            watch.Stop();
            var received = 0;
            while (manager.Available > 0 || manager.Poll(0, SelectMode.SelectRead))
            {
                manager.Receive(new byte[64]);
                received++;
            }

            var dropped = Dropped(registry, "WATCHDOG");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"{sent} notifications took {watch.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(dropped > 0, "nothing was dropped: the queue never filled");
            Assert.Equal(sent, received + dropped);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Nobody_listening_drops_and_counts()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var notifier = new NonBlockingSystemdNotifier(
            Path.Combine(Path.GetTempPath(), $"edgepose-no-such-socket-{Guid.NewGuid():N}"), new PoseMetrics(registry), NullLogger<NonBlockingSystemdNotifier>.Instance);

        notifier.Notify(new ServiceState("STOPPING=1"));

        Assert.True(notifier.IsEnabled);
        Assert.Equal(1, Dropped(registry, "STOPPING"));
    }

    private static int Dropped(CollectorRegistry registry, string message)
    {
        using var stream = new MemoryStream();
        registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        var line = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n')
            .FirstOrDefault(l => l.StartsWith($"edgepose_systemd_notifications_dropped_total{{message=\"{message}\"}}", StringComparison.Ordinal));
        return line is null ? 0 : (int)double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
