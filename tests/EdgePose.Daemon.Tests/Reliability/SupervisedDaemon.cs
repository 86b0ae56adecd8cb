using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgePose.Daemon.Tests.Reliability;

/// <summary>
/// The real edgepose executable as systemd runs it: the child of a process named "systemd", with NOTIFY_SOCKET and
/// WATCHDOG_USEC, so its READY and WATCHDOG messages arrive here with their times. Development mode (synthetic camera).
/// </summary>
internal sealed class SupervisedDaemon : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Socket _notify;
    private readonly Process _launcher;
    private readonly List<(TimeSpan At, string Message)> _messages = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Thread _listening;
    private readonly ManualResetEventSlim _reading = new(initialState: true);

    private SupervisedDaemon(string directory, Socket notify, Process launcher, int grpcPort, int metricsPort)
    {
        _directory = directory;
        _notify = notify;
        _launcher = launcher;
        GrpcPort = grpcPort;
        MetricsPort = metricsPort;
        // Its own thread, not the thread pool: a test that floods the daemon from this process must not delay the reading,
        // or the pings' times measure this process, and a queue left full blocks the daemon's sender (see PauseReading).
        _listening = new Thread(Listen) { IsBackground = true, Name = "sd_notify listener" };
        _listening.Start();
    }

    public int GrpcPort { get; }

    public int MetricsPort { get; }

    public TimeSpan WatchdogInterval { get; } = TimeSpan.FromSeconds(2);

    public static SupervisedDaemon Start()
    {
        var directory = Directory.CreateTempSubdirectory("edgepose-supervised-").FullName;
        var socketPath = Path.Combine(directory, "notify");
        var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var launcher = Path.Combine(directory, "systemd");
        File.Copy("/bin/bash", launcher);

        var grpcPort = RunningDaemon.FreePort();
        var metricsPort = RunningDaemon.FreePort();
        var daemon = string.Join(' ', new[]
        {
            "dotnet", Path.Combine(AppContext.BaseDirectory, "edgepose.dll"), "serve",
            "--config", Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            "--grpc-address", $"127.0.0.1:{grpcPort}", "--metrics-address", $"127.0.0.1:{metricsPort}",
            "--set", "Logging:LogLevel:Default=Warning",
        });
        var info = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The launcher stays the daemon's parent, writes its pid, relays SIGTERM and exits with the daemon's code.
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{daemon} & child=$!; echo $child > {directory}/pid; trap 'kill -TERM $child' TERM; wait $child; trap - TERM; wait $child");
        info.Environment["NOTIFY_SOCKET"] = socketPath;
        info.Environment["WATCHDOG_USEC"] = "2000000";
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SupervisedDaemon(directory, notify, process, grpcPort, metricsPort);
    }

    public int DaemonPid => int.Parse(File.ReadAllText(Path.Combine(_directory, "pid")).Trim(), CultureInfo.InvariantCulture);

    public bool HasExited => _launcher.HasExited;

    public int ExitCode => _launcher.ExitCode;

    /// <summary>Resident memory of the daemon process, from /proc; 0 once it has exited (a zombie has no VmRSS).</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{DaemonPid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public async Task WaitForReadyAsync() =>
        await RunningDaemon.WaitUntilAsync(() => Task.FromResult(Count("READY=1", TimeSpan.Zero) > 0), TimeSpan.FromSeconds(90), "READY=1");

    /// <summary>How many messages containing <paramref name="text"/> arrived since <paramref name="since"/>.</summary>
    public int Count(string text, TimeSpan since) => Messages().Count(m => m.At >= since && m.Message.Contains(text, StringComparison.Ordinal));

    /// <summary>The longest time without a WATCHDOG=1 message between <paramref name="from"/> and <paramref name="to"/> (times since this object was made).</summary>
    public TimeSpan LargestPingGap(TimeSpan from, TimeSpan to)
    {
        var pings = Messages().Where(m => m.Message.Contains("WATCHDOG=1", StringComparison.Ordinal)).Select(m => m.At).ToList();
        var inside = pings.Where(p => p >= from && p <= to).ToList();
        var before = pings.LastOrDefault(p => p < from, from);
        var points = new[] { before }.Concat(inside).Append(to).ToList();
        return points.Zip(points.Skip(1), (a, b) => b - a).Max();
    }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Stops reading the notify socket, as a service manager that has fallen behind: its queue fills up.</summary>
    public void PauseReading() => _reading.Reset();

    public void ResumeReading() => _reading.Set();

    /// <summary>
    /// Sends SIGTERM to the daemon and returns how long it took to exit. The signal goes out by a direct kill(2) and the
    /// exit is awaited on a thread of its own: a test that floods the daemon from this process must not delay either
    /// through this process's busy thread pool, or the figure measures this process.
    /// </summary>
    public Task<TimeSpan> TerminateAsync(TimeSpan patience)
    {
        var result = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            var started = Stopwatch.StartNew();
            if (Kill(_launcher.Id, SigTerm) != 0)
            {
                result.SetException(new InvalidOperationException($"kill({_launcher.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}"));
                return;
            }

            if (_launcher.WaitForExit(patience))
            {
                result.SetResult(started.Elapsed);
            }
            else
            {
                result.SetException(new TimeoutException($"the daemon was still running {patience.TotalSeconds:0} s after SIGTERM"));
            }
        })
        {
            IsBackground = true,
            Name = "SIGTERM timer",
        }.Start();
        return result.Task;
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        if (!_launcher.HasExited)
        {
            _launcher.Kill(entireProcessTree: true);
            await _launcher.WaitForExitAsync();
        }

        // Closing the socket ends the listener's blocking receive.
        _notify.Dispose();
        _reading.Set();
        _listening.Join();
        _reading.Dispose();
        _launcher.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private List<(TimeSpan At, string Message)> Messages()
    {
        lock (_messages)
        {
            return [.. _messages];
        }
    }

    private void Listen()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                _reading.Wait();
                var length = _notify.Receive(buffer, SocketFlags.None);
                var message = Encoding.UTF8.GetString(buffer, 0, length);
                lock (_messages)
                {
                    _messages.Add((_clock.Elapsed, message));
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Disposed: the daemon is gone.
        }
    }
}

/// <summary>
/// The fault-and-abuse scenarios run one at a time and apart from the other test classes: their time limits and
/// figures are about the daemon, not about whichever other tests share the two cores at that moment.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityScenarios
{
    public const string Name = "Reliability scenarios";
}
