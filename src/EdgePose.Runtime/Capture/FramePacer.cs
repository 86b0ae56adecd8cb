namespace EdgePose.Runtime.Capture;

/// <summary>Delivers file and synthetic frames at a fixed rate, as a camera would, instead of as fast as they decode or render.</summary>
internal sealed class FramePacer(double framesPerSecond, TimeProvider timeProvider)
{
    private readonly double _periodTicks = timeProvider.TimestampFrequency / framesPerSecond;
    private long _scheduleStart = timeProvider.GetTimestamp();
    private long _scheduledFrames;

    /// <summary>Blocks until the next frame slot.</summary>
    public void WaitForSlot(CancellationToken cancellationToken)
    {
        // Deadlines are start + n·period from one origin, so rounding never accumulates into drift.
        var now = timeProvider.GetTimestamp();
        var due = _scheduleStart + (long)(_scheduledFrames * _periodTicks);
        if (now - due > _periodTicks)
        {
            // After a stall the next frame comes now, not as a burst of catch-up frames.
            _scheduleStart = now;
            _scheduledFrames = 1;
            return;
        }

        _scheduledFrames++;
        if (due > now)
        {
            var wait = TimeSpan.FromSeconds((double)(due - now) / timeProvider.TimestampFrequency);
            CaptureThreadDelay.Wait(wait, timeProvider, cancellationToken);
        }
    }
}
