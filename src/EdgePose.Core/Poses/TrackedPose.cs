using System.Collections.Immutable;
using EdgePose.Core.Geometry;

namespace EdgePose.Core.Poses;

public enum TrackState
{
    /// <summary>Not tracked: a single image (EstimatePose), or a tracker that has never seen the object.</summary>
    None,
    /// <summary>This frame's pose updated the track (all of it, or its position when a small rotation jump was held).</summary>
    Tracking,
    /// <summary>Not seen this frame, or its pose was held back as a jump: the filtered pose is the track's prediction.</summary>
    Coasting,
    /// <summary>No sighting for the drop time: the track is gone and there is no filtered pose.</summary>
    Lost,
}

/// <summary>What the tracker did with this frame's raw pose.</summary>
public enum RawPoseVerdict
{
    /// <summary>No tracking (a single image).</summary>
    None,
    /// <summary>Within the gate: it updated the track.</summary>
    Accepted,
    /// <summary>No raw pose this frame.</summary>
    NotFound,
    /// <summary>The first pose of a new track.</summary>
    Started,
    /// <summary>A jump in position: held back until it persists.</summary>
    Outlier,
    /// <summary>
    /// A jump in rotation alone (the position agrees), held until it persists: a flip (45° or more, or an ambiguous pose)
    /// whole, since its position is suspect too; a smaller jump (a sudden turn) only in rotation, its position used.
    /// </summary>
    Flip,
    /// <summary>A jump that persisted: the track restarted at it (or took its rotation, after a persisting flip).</summary>
    Reacquired,
}

/// <summary>
/// One object's filtered pose after one frame: smoothed over time, with outliers and flips held back, and its velocity.
/// Pose and covariance are in the reported frame, with the raw pose's conventions; null when <see cref="State"/> is
/// <see cref="TrackState.Lost"/> or <see cref="TrackState.None"/>.
/// </summary>
/// <param name="LinearVelocity">m/s in the reported frame.</param>
/// <param name="AngularVelocity">rad/s about the reported frame's axes.</param>
/// <param name="LastSightingTimestamp">
/// Monotonic (<see cref="TimeProvider.GetTimestamp"/>) capture time of the track's last accepted pose; null when it never had one.
/// </param>
public sealed record TrackedPose(
    TrackState State,
    RawPoseVerdict Verdict,
    RigidTransform? Pose,
    ImmutableArray<double> Covariance,
    Vec3 LinearVelocity,
    Vec3 AngularVelocity,
    long? LastSightingTimestamp,
    TimeSpan DropAfter)
{
    /// <summary>For results that are not tracked (EstimatePose).</summary>
    public static TrackedPose Untracked { get; } = new(TrackState.None, RawPoseVerdict.None, null, [], Vec3.Zero, Vec3.Zero, null, TimeSpan.Zero);

    public bool HasPose => Pose is not null;

    /// <summary>
    /// This track as seen at <paramref name="now"/>: lost, without a pose, once the drop time has passed since its last
    /// sighting, even when no new frame came to say so (a camera that stopped delivering).
    /// </summary>
    public TrackedPose AsSeenAt(long now, TimeProvider clock) =>
        Pose is not null && LastSightingTimestamp is { } seen && clock.GetElapsedTime(seen, now) > DropAfter
            ? this with { State = TrackState.Lost, Pose = null, Covariance = [], LinearVelocity = Vec3.Zero, AngularVelocity = Vec3.Zero }
            : this;

    /// <summary>Time from the last sighting to <paramref name="now"/>; null when there was none.</summary>
    public TimeSpan? SinceSighting(long now, TimeProvider clock) => LastSightingTimestamp is { } seen ? clock.GetElapsedTime(seen, now) : null;
}
