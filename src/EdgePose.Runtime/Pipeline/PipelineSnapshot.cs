using System.Collections.Immutable;
using EdgePose.Runtime.Poses;

namespace EdgePose.Runtime.Pipeline;

public enum PipelineState
{
    /// <summary>Loading and warming up the model; no result yet.</summary>
    Starting,
    /// <summary>Frames in, poses out, every part as configured.</summary>
    Ready,
    /// <summary>Serving with a part missing (camera lost, model failed → baseline); <see cref="PipelineSnapshot.Reason"/> says which.</summary>
    Degraded,
    Stopped,
}

/// <summary>
/// Everything the service layer reads about the pipeline, as one immutable value swapped atomically,
/// so a reader never sees a result from one frame with the state of another.
/// </summary>
public sealed record PipelineSnapshot(
    PipelineState State,
    string? Reason,
    PoseResult? Latest,
    long FramesProcessed,
    ImmutableDictionary<PoseSource, long> PosesBySource,
    ImmutableDictionary<FallbackReason, long> FallbacksByReason,
    long HeartbeatTimestamp)
{
    /// <param name="now">The monotonic clock's reading (<see cref="TimeProvider.GetTimestamp"/>), as for every heartbeat.</param>
    public static PipelineSnapshot Initial(long now) => new(
        PipelineState.Starting, "loading model", null, 0,
        ImmutableDictionary<PoseSource, long>.Empty, ImmutableDictionary<FallbackReason, long>.Empty, now);
}
