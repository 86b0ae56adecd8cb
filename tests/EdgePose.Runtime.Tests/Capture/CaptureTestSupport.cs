using EdgePose.Runtime.Capture;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;
using Prometheus;

namespace EdgePose.Runtime.Tests.Capture;

/// <summary>A real host with workcell, metrics (private registry) and capture registered, as the daemon wires them.</summary>
internal sealed class CaptureHost : IAsyncDisposable
{
    private bool _started;

    private CaptureHost(IHost host, CollectorRegistry registry)
    {
        Host = host;
        Registry = registry;
    }

    public IHost Host { get; }

    public CollectorRegistry Registry { get; }

    public FrameChannel Channel => Host.Services.GetRequiredService<FrameChannel>();

    public ICaptureMonitor Monitor => Host.Services.GetRequiredService<ICaptureMonitor>();

    public static CaptureHost Create(
        IReadOnlyDictionary<string, string?> captureSettings, TimeProvider? timeProvider = null, IFrameSourceFactory? sourceFactory = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // The synthetic source is refused unless allowed, as in production; these tests use it on purpose.
        builder.Configuration.AddInMemoryCollection(
            captureSettings.Prepend(KeyValuePair.Create(nameof(CaptureOptions.AllowSynthetic), (string?)"true"))
                .Select(kv => KeyValuePair.Create($"{CaptureOptions.SectionName}:{kv.Key}", kv.Value)));
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        var registry = Prometheus.Metrics.NewCustomRegistry();
        builder.Services.AddWorkcell(builder.Configuration).AddPoseMetrics(registry).AddCapture(builder.Configuration).AddSyntheticCamera(builder.Configuration);
        if (sourceFactory is not null)
        {
            builder.Services.AddSingleton(sourceFactory);
        }

        return new CaptureHost(builder.Build(), registry);
    }

    public async Task StartAsync()
    {
        await Host.StartAsync();
        _started = true;
    }

    public async Task<Frame> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await Channel.Reader.ReadAsync(timeout.Token);
    }

    public double Metric(string name) => MetricValues.Read(Registry, name);

    public async ValueTask DisposeAsync()
    {
        // A host whose start failed cannot be stopped, only disposed.
        if (_started)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Host.StopAsync(timeout.Token);
        }

        Host.Dispose();
    }
}

internal static class MetricValues
{
    /// <summary>The value of one series as a scrape would see it: a metric's name, with its labels in exposition order where it has any.</summary>
    public static double Read(CollectorRegistry registry, string series)
    {
        var line = Exposition(registry).Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The registry's whole scrape, as text.</summary>
    public static string Exposition(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

internal static class Poll
{
    /// <summary>Waits (bounded) for something another thread does.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, double timeoutSeconds = 5)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(5);
        }
    }

    /// <summary>
    /// Advances fake time in small steps, letting the capture thread react between them, until the condition holds.
    /// Small steps keep the fake time at which the condition became true within a step or two of when it was due.
    /// </summary>
    public static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition, string what, double maxFakeSeconds = 30)
    {
        var step = TimeSpan.FromMilliseconds(20);
        var advanced = TimeSpan.Zero;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(advanced.TotalSeconds < maxFakeSeconds && DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            time.Advance(step);
            advanced += step;
            await Task.Delay(3);
        }
    }
}

/// <summary>Test images that carry their index as the brightness of the top-left block, which survives JPEG compression.</summary>
internal static class IndexedImages
{
    public static readonly Size Size = new(160, 120);
    private static readonly Rect s_block = new(0, 0, 48, 48);

    public static Mat Create(int index)
    {
        var image = new Mat(Size, MatType.CV_8UC3, Scalar.All(0));
        using (var block = new Mat(image, s_block))
        {
            block.SetTo(Scalar.All(10 + (12 * index)));
        }

        Cv2.PutText(image, index.ToString(System.Globalization.CultureInfo.InvariantCulture), new Point(70, 90), HersheyFonts.HersheySimplex, 1.5, Scalar.White, 2);
        return image;
    }

    public static int Decode(Mat image)
    {
        using var block = new Mat(image, s_block);
        return (int)Math.Round((Cv2.Mean(block).Val0 - 10) / 12);
    }

    public static void WriteVideo(string path, int frames, double framesPerSecond)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("MJPG"), framesPerSecond, Size);
        Assert.True(writer.IsOpened(), "VideoWriter could not open an MJPG .avi");
        for (var i = 0; i < frames; i++)
        {
            using var image = Create(i);
            writer.Write(image);
        }
    }
}

/// <summary>
/// Stands in for a camera device, which cannot exist on a test machine: delivers <paramref name="frames"/> frames,
/// then returns <paramref name="afterFrames"/>, or, when that is null, blocks like a stalled camera until capture stops.
/// </summary>
internal sealed class FakeCamera(int frames, ReadOutcome? afterFrames, bool openFails = false) : IFrameSource
{
    private int _delivered;

    public string Description => "fake camera";

    public double NominalFramesPerSecond => 0;

    public bool Disposed { get; private set; }

    /// <summary>Set once a read blocks, that is, once the capture service has armed its read watchdog.</summary>
    public ManualResetEventSlim Stalled { get; } = new();

    public void Open()
    {
        if (openFails)
        {
            throw new CaptureUnavailableException("fake camera unplugged");
        }
    }

    public ReadOutcome Read(Mat destination, CancellationToken cancellationToken)
    {
        if (_delivered < frames)
        {
            _delivered++;
            destination.Create(8, 8, MatType.CV_8UC3);
            destination.SetTo(Scalar.All(_delivered));
            return ReadOutcome.Frame;
        }

        if (afterFrames is { } outcome)
        {
            return outcome;
        }

        Stalled.Set();
        cancellationToken.WaitHandle.WaitOne();
        cancellationToken.ThrowIfCancellationRequested();
        return ReadOutcome.Failed;
    }

    public void Dispose() => Disposed = true;
}

/// <summary>Hands out the scripted cameras in order and notes the (fake) time of each open attempt.</summary>
internal sealed class FakeCameraFactory(TimeProvider time, params FakeCamera[] cameras) : IFrameSourceFactory
{
    private readonly List<DateTimeOffset> _createdAt = [];
    private int _next;

    public IReadOnlyList<DateTimeOffset> CreatedAt
    {
        get
        {
            lock (_createdAt)
            {
                return [.. _createdAt];
            }
        }
    }

    public IFrameSource Create()
    {
        lock (_createdAt)
        {
            _createdAt.Add(time.GetUtcNow());
        }

        return _next < cameras.Length ? cameras[_next++] : throw new InvalidOperationException("no more fake cameras");
    }
}
