using System.Diagnostics;
using System.Globalization;

namespace EdgePose.Daemon.Tests.Reliability;

/// <summary>
/// A StreamPoses reader in a process of its own (EdgePose.Benchmarks' `ages` command): the live result's age as a grasp
/// controller sees it, not as a thread of this test process sees it while the same process runs the flood it measures.
/// </summary>
internal sealed class LiveAgeReader : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _csv;

    private LiveAgeReader(Process process, string csv)
    {
        _process = process;
        _csv = csv;
    }

    /// <summary>Starts reading for <paramref name="duration"/> and returns once the first result has arrived.</summary>
    public static async Task<LiveAgeReader> StartAsync(int grpcPort, TimeSpan duration)
    {
        var csv = Path.Combine(Directory.CreateTempSubdirectory("edgepose-ages-").FullName, "ages.csv");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "EdgePose.Benchmarks.dll"), "ages", "--target", $"127.0.0.1:{grpcPort}",
            "--seconds", duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--csv", csv,
        })
        {
            info.ArgumentList.Add(argument);
        }

        var reader = new LiveAgeReader(Process.Start(info)!, csv);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await reader._process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == "streaming")
            {
                return reader;
            }
        }

        throw new InvalidOperationException($"the reader ended before streaming: {await reader._process.StandardError.ReadToEndAsync()}");
    }

    /// <summary>Waits for the reading to end: each live result's age (ms) when received, and when published.</summary>
    public async Task<List<(double Received, double Published)>> AgesAsync()
    {
        var rest = _process.StandardOutput.ReadToEndAsync();
        var errors = _process.StandardError.ReadToEndAsync();
        await _process.WaitForExitAsync();
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the reader exited {_process.ExitCode}: {await rest}{await errors}");
        }

        return [.. (await File.ReadAllLinesAsync(_csv)).Skip(1).Select(line => line.Split(',')).Select(
            f => (double.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture)))];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Path.GetDirectoryName(_csv)!, recursive: true);
    }
}
