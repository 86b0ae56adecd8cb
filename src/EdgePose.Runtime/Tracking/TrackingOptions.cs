using System.ComponentModel.DataAnnotations;

namespace EdgePose.Runtime.Tracking;

/// <summary>
/// Section "EdgePose:Tracking": the per-object filter over the live results. Jumps are judged against the pose's covariance
/// plus the noise floors, so a PnP covariance that claims sub-millimetre certainty cannot turn every frame into an outlier.
/// </summary>
public sealed class TrackingOptions
{
    public const string SectionName = "EdgePose:Tracking";

    /// <summary>A track without a sighting (an accepted pose) for this long is dropped: its state turns LOST and it has no pose.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan DropAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Mahalanobis distance (in standard deviations, over the 3 position or the 3 rotation axes) beyond which a pose is a jump
    /// rather than motion or noise: 4 lets through all but about 1 in 1000 honest measurements.
    /// </summary>
    [Range(1.0, 100.0)]
    public double GateSigmas { get; set; } = 4;

    /// <summary>Least position standard deviation a pose is trusted to, metres.</summary>
    [Range(0.0001, 1.0)]
    public double PositionNoiseFloorMeters { get; set; } = 0.003;

    /// <summary>Least rotation standard deviation (about each axis) a pose is trusted to, degrees.</summary>
    [Range(0.01, 90.0)]
    public double AngleNoiseFloorDegrees { get; set; } = 1;

    /// <summary>
    /// How fast the object is expected to speed up (white-noise acceleration, m/s²): higher follows abrupt motion more
    /// closely, lower smooths more. A workcell object is still or moved smoothly; an abrupt move beyond this is held as a
    /// jump for <see cref="ReacquireFrames"/> and then re-acquired with the speed it shows.
    /// </summary>
    [Range(0.001, 1000.0)]
    public double LinearAcceleration { get; set; } = 0.2;

    /// <summary>The same for rotation, degrees/s².</summary>
    [Range(0.01, 100000.0)]
    public double AngularAccelerationDegrees { get; set; } = 45;

    /// <summary>
    /// Consecutive, mutually consistent jumps after which the track is re-acquired at the new pose (the object was moved);
    /// fewer while the track rests on fewer poses than that, so a track started on a wrong pose soon gives way.
    /// </summary>
    [Range(1, 1000)]
    public int ReacquireFrames { get; set; } = 3;

    /// <summary>
    /// Consecutive, mutually consistent flips (rotation-only jumps of at least <see cref="FlipMinAngleDegrees"/>, or of a
    /// pose its estimator marks rotation-ambiguous: a box's look-alike faces, a marker's tilt ambiguity) after which the
    /// pose is taken (fewer while the track's rotation rests on fewer poses); until then it is held whole. Longer than
    /// <see cref="ReacquireFrames"/>: a model can hold a flipped answer for several frames, and no object turns over in
    /// place between two frames. Smaller rotation-only jumps (a turn faster than the motion model expects) update the
    /// position and hold the rotation for <see cref="ReacquireFrames"/>.
    /// </summary>
    [Range(1, 1000)]
    public int FlipReacquireFrames { get; set; } = 10;

    /// <summary>Least rotation jump, degrees, that counts as a flip rather than a sudden turn.</summary>
    [Range(1.0, 180.0)]
    public double FlipMinAngleDegrees { get; set; } = 45;
}
