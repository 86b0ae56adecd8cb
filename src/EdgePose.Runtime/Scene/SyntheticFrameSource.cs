using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Objects;
using OpenCvSharp;

namespace EdgePose.Runtime.Scene;

/// <summary>The <c>synthetic</c> camera: renders the configured trajectory frame by frame, paced to the configured rate.</summary>
public sealed class SyntheticFrameSource : IFrameSource
{
    private readonly SyntheticSceneRenderer _renderer;
    private readonly TimeProvider _timeProvider;
    private readonly double _periodTicks;
    private long _nextIndex;
    private long _scheduleStart;
    private long _scheduledFrames;
    private bool _open;

    public SyntheticFrameSource(SyntheticSceneOptions options, Workcell workcell, TimeProvider timeProvider)
    {
        _renderer = new SyntheticSceneRenderer(options, workcell.Camera, workcell.Objects);
        _timeProvider = timeProvider;
        NominalFramesPerSecond = options.FramesPerSecond;
        _periodTicks = timeProvider.TimestampFrequency / options.FramesPerSecond;
        Description = $"synthetic {workcell.Camera.Width}x{workcell.Camera.Height}@{options.FramesPerSecond:0.##} seed {options.Seed}";
    }

    public string Description { get; }

    public double NominalFramesPerSecond { get; }

    public void Open()
    {
        _scheduleStart = _timeProvider.GetTimestamp();
        _scheduledFrames = 0;
        _open = true;
    }

    public ReadOutcome Read(Mat destination, out SceneTruth? truth, CancellationToken cancellationToken)
    {
        if (!_open)
        {
            throw new InvalidOperationException("Open the synthetic source before reading from it.");
        }

        using (var scene = _renderer.Render(_nextIndex++))
        {
            scene.Image.CopyTo(destination);
            truth = scene.Truth;
        }

        WaitForSlot(cancellationToken);
        return ReadOutcome.Frame;
    }

    public void Dispose() => _renderer.Dispose();

    // Deadlines are start + n·period from one origin, so rounding never accumulates into drift.
    private void WaitForSlot(CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetTimestamp();
        var due = _scheduleStart + (long)(_scheduledFrames * _periodTicks);
        if (now - due > _periodTicks)
        {
            // A stalled consumer gets the next frame now rather than a burst of catch-up frames, as a real camera would.
            _scheduleStart = now;
            _scheduledFrames = 1;
            return;
        }

        _scheduledFrames++;
        if (due > now)
        {
            var wait = TimeSpan.FromSeconds((double)(due - now) / _timeProvider.TimestampFrequency);
            Task.Delay(wait, _timeProvider, cancellationToken).GetAwaiter().GetResult();
        }
    }
}
