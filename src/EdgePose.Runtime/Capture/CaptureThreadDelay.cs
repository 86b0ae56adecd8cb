namespace EdgePose.Runtime.Capture;

/// <summary>Waits on the capture thread itself, so that a saturated thread pool cannot hold frames or reconnects back.</summary>
internal static class CaptureThreadDelay
{
    /// <summary>
    /// Blocks the calling (dedicated) thread for <paramref name="delay"/>; throws <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> is cancelled first. On the system clock it sleeps on the token's wait
    /// handle: a <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> completes on a pool thread, and with
    /// the pool starved (a flood of requests, a busy CI run) frames stalled for over 2 s until the read watchdog declared
    /// the camera lost. Other clocks (tests' fake ones) only advance through their timers, so they keep those.
    /// </summary>
    public static void Wait(TimeSpan delay, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (timeProvider == TimeProvider.System)
        {
            if (cancellationToken.WaitHandle.WaitOne(delay))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            return;
        }

        Task.Delay(delay, timeProvider, cancellationToken).GetAwaiter().GetResult();
    }
}
