using EdgePose.Runtime.Capture;

namespace EdgePose.Runtime.Tests.Capture;

public sealed class ReconnectBackoffTests
{
    [Fact]
    public void Delays_double_up_to_the_maximum_with_jitter_and_reset()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4), new Random(7));

        var delays = Enumerable.Range(0, 6).Select(_ => backoff.Next().TotalSeconds).ToArray();
        backoff.Reset();
        var afterReset = backoff.Next().TotalSeconds;

        double[] nominal = [0.5, 1, 2, 4, 4, 4];
        for (var i = 0; i < delays.Length; i++)
        {
            Assert.InRange(delays[i], nominal[i] * 0.8, Math.Min(nominal[i] * 1.2, 4));
        }

        Assert.InRange(afterReset, 0.4, 0.6);
    }
}
