using System.Threading.Channels;
using EdgePose.Runtime.Poses;

namespace EdgePose.Runtime.Pipeline;

/// <summary>The newest pipeline snapshot, and a feed of new results for streaming clients.</summary>
public interface IPoseResultStore
{
    PipelineSnapshot Current { get; }

    /// <summary>
    /// A per-subscriber feed that holds only the newest few results: a slow reader skips results instead of building a
    /// backlog, and never slows the pipeline or other readers. Dispose to unsubscribe.
    /// </summary>
    PoseSubscription Subscribe();
}

public sealed class PoseSubscription : IDisposable
{
    /// <summary>
    /// Enough to ride out a reader's scheduling hiccup (about 130 ms at 30 fps) without dropping, few enough that a stalled
    /// reader resumes within a few frames of the newest result.
    /// </summary>
    public const int Capacity = 4;

    private readonly PoseResultStore _owner;
    private readonly Channel<PoseResult> _channel = Channel.CreateBounded<PoseResult>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });

    internal PoseSubscription(PoseResultStore owner) => _owner = owner;

    public ChannelReader<PoseResult> Results => _channel.Reader;

    internal void Offer(PoseResult result) => _channel.Writer.TryWrite(result);

    internal void Complete() => _channel.Writer.TryComplete();

    public void Dispose()
    {
        _owner.Unsubscribe(this);
        Complete();
    }
}

internal sealed class PoseResultStore(TimeProvider timeProvider) : IPoseResultStore
{
    private readonly Lock _subscribersLock = new();
    private PipelineSnapshot _current = PipelineSnapshot.Initial(timeProvider.GetTimestamp());
    private PoseSubscription[] _subscribers = [];

    public PipelineSnapshot Current => Volatile.Read(ref _current);

    public PoseSubscription Subscribe()
    {
        var subscription = new PoseSubscription(this);
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, subscription];
        }

        return subscription;
    }

    /// <summary>Single writer (the pipeline loop): swaps the snapshot, then offers a new result to every subscriber.</summary>
    public void Publish(PipelineSnapshot snapshot)
    {
        var previous = Interlocked.Exchange(ref _current, snapshot);
        if (snapshot.Latest is { } latest && !ReferenceEquals(latest, previous.Latest))
        {
            foreach (var subscriber in Volatile.Read(ref _subscribers))
            {
                subscriber.Offer(latest);
            }
        }
    }

    /// <summary>Ends every open stream (shutdown).</summary>
    public void CompleteAll()
    {
        PoseSubscription[] subscribers;
        lock (_subscribersLock)
        {
            subscribers = _subscribers;
            _subscribers = [];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber.Complete();
        }
    }

    internal void Unsubscribe(PoseSubscription subscription)
    {
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers.Where(s => !ReferenceEquals(s, subscription))];
        }
    }
}
