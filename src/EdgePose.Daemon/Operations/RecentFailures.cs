using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Poses;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Operations;

/// <summary>One object in one frame where the model failed and the baseline fell back in, or where nothing was found.</summary>
/// <param name="CaptureTimestamp">Monotonic (<see cref="TimeProvider.GetTimestamp"/>), for its age.</param>
public sealed record FailureEntry(long FrameSequence, long CaptureTimestamp, string ObjectId, PoseSource Source, FallbackReason Reason, bool Found);

/// <summary>
/// The latest failures for the live view, kept from the result feed (a subscriber like any stream client: when it falls
/// behind it skips results, it never slows the loop). Bounded by Operations:RecentFailures.
/// </summary>
internal sealed class RecentFailures(IPoseResultStore store, IOptions<OperationsOptions> options) : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly Queue<FailureEntry> _entries = new();

    public long Total { get; private set; }

    public IReadOnlyList<FailureEntry> Latest()
    {
        lock (_lock)
        {
            return [.. _entries.Reverse()];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = store.Subscribe();
        try
        {
            await foreach (var result in subscription.Results.ReadAllAsync(stoppingToken))
            {
                Record(result);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Record(PoseResult result)
    {
        foreach (var pose in result.Poses)
        {
            // A baseline answer the policy chose (baseline-only, marker in view) is the design working, not a failure.
            if (pose.Found && pose.FallbackReason is FallbackReason.None or FallbackReason.PolicyBaselineOnly or FallbackReason.PolicyMarkerVisible)
            {
                continue;
            }

            lock (_lock)
            {
                _entries.Enqueue(new FailureEntry(result.FrameSequence, result.CaptureTimestamp, pose.ObjectId, pose.Source, pose.FallbackReason, pose.Found));
                while (_entries.Count > options.Value.RecentFailures)
                {
                    _entries.Dequeue();
                }

                Total++;
            }
        }
    }
}
