namespace EdgePose.Runtime.Capture;

/// <summary>Exponential backoff with jitter: initial, 2×, 4×… up to the maximum, each ±20 %.</summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _initialDelay;
    private readonly TimeSpan _maxDelay;
    private readonly Random _random;
    private TimeSpan _next;

    public ReconnectBackoff(TimeSpan initialDelay, TimeSpan maxDelay, Random random)
    {
        _initialDelay = initialDelay;
        _maxDelay = maxDelay;
        _random = random;
        _next = initialDelay;
    }

    public TimeSpan Next()
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, _maxDelay.Ticks));
        // Jitter keeps several cells that lost a shared switch or USB hub from retrying in lockstep.
        var jittered = delay * (0.8 + (0.4 * _random.NextDouble()));
        return jittered > _maxDelay ? _maxDelay : jittered;
    }

    public void Reset() => _next = _initialDelay;
}
