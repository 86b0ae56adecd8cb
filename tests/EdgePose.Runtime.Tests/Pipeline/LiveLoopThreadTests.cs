using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Tests.Capture;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePose.Runtime.Tests.Pipeline;

/// <summary>
/// The live loop on threads of its own: it keeps publishing while every thread-pool thread is blocked, as Kestrel's
/// request work can keep them during an EstimatePose flood. Runs alone: it stalls the pool of the whole test process.
/// </summary>
[Collection(ThreadPoolSaturation.Name)]
public sealed class LiveLoopThreadTests
{
    [Fact]
    public async Task The_live_loop_keeps_publishing_while_the_thread_pool_is_saturated()
    {
        // The synthetic camera, whose pacing (FramePacer) waits on the capture thread, not on a pool timer.
        using var host = RuntimeHost.Build(cameraFps: 30, modelPath: "");
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IPoseResultStore>();
        await Poll.UntilAsync(() => store.Current.FramesProcessed > 5, "the first results", timeoutSeconds: 20);

        // Not disposed: blocked items that start after the release still wait on it.
        var release = new ManualResetEventSlim();
        var probe = new ManualResetEventSlim();
        long published;
        try
        {
            // Far more blocking items than the pool has threads or adds in the window, then a probe behind them: while the
            // probe has not run, no pool thread was free for anything queued after the blockers.
            var blockers = ThreadPool.ThreadCount + 256;
            for (var i = 0; i < blockers; i++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_ => release.Wait(), null);
            }

            ThreadPool.UnsafeQueueUserWorkItem(_ => probe.Set(), null);
            var before = store.Current.FramesProcessed;
            // Blocking on purpose: this test's own awaits would need the pool.
            Thread.Sleep(TimeSpan.FromSeconds(2));
            published = store.Current.FramesProcessed - before;
            Assert.False(probe.IsSet, "the thread pool had a free thread during the window; the test proves nothing");
        }
        finally
        {
            release.Set();
        }

        // 30 frames/s: 60 in the window at best (the pacer waits between frames); a loop or a pacer that needs the pool publishes none.
        Assert.True(published >= 20, $"{published} results published in 2 s with the thread pool saturated");
        // The pool is drained (the probe ran) before the next test, which may time things, starts.
        probe.Wait(TimeSpan.FromSeconds(30));
        await host.StopAsync();
    }
}

/// <summary>Tests that block every thread-pool thread of this process run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadPoolSaturation
{
    public const string Name = "thread pool saturation";
}
