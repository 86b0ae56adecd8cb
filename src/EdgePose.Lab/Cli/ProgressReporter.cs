using System.Diagnostics;
using System.Globalization;

namespace EdgePose.Lab.Cli;

/// <summary>
/// Progress of a batch command, callable from any thread. On a terminal: one bar redrawn in place a few times a second.
/// Otherwise (a log, CI, a test's writer): a plain line every few seconds, so the output stays readable and grep-able.
/// </summary>
internal sealed class ProgressReporter
{
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BarInterval = TimeSpan.FromMilliseconds(200);
    private const int BarWidth = 30;

    private readonly int _total;
    private readonly TextWriter _output;
    private readonly bool _terminal;
    private readonly long _intervalTicks;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _nextReportTicks;
    private int _done;

    public ProgressReporter(int total, TextWriter output)
    {
        _total = total;
        _output = output;
        // A caller-supplied writer (tests, redirection) is never a terminal, even when the process has one.
        _terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        _intervalTicks = (_terminal ? BarInterval : LineInterval).Ticks;
        _nextReportTicks = _intervalTicks;
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public void FrameDone()
    {
        var done = Interlocked.Increment(ref _done);
        var now = _clock.Elapsed.Ticks;
        var due = Interlocked.Read(ref _nextReportTicks);
        // Whichever thread crosses the interval first reports; the others return at once.
        if ((now < due && done < _total) || Interlocked.CompareExchange(ref _nextReportTicks, now + _intervalTicks, due) != due)
        {
            return;
        }

        var fps = done / _clock.Elapsed.TotalSeconds;
        var left = TimeSpan.FromSeconds(Math.Round((_total - done) / Math.Max(fps, 1e-9)));
        if (_terminal)
        {
            var filled = (int)Math.Round(BarWidth * (double)done / _total);
            _output.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{new string('#', filled)}{new string('.', BarWidth - filled)}] {done}/{_total} {fps:0.0} frames/s, {left:hh\\:mm\\:ss} left "));
        }
        else if (done < _total)
        {
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{done}/{_total} frames ({100.0 * done / _total:0}%), {fps:0.0} frames/s, ETA {left:hh\\:mm\\:ss}"));
        }
    }

    /// <summary>Runs <paramref name="work"/>, which reports each frame through the action it is given, and ends the bar's line however it ends.</summary>
    public async Task<T> RunAsync<T>(Func<Action, Task<T>> work)
    {
        try
        {
            return await work(FrameDone);
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>Ends the bar's line so the next output starts clean.</summary>
    public void Finish()
    {
        if (_terminal)
        {
            _output.WriteLine();
        }
    }
}
