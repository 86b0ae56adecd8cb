using EdgePose.Runtime.Evaluation;
using EdgePose.Runtime.Geometry;

namespace EdgePose.Runtime.Tests.Evaluation;

internal static class EvaluationTestKit
{
    public static RigidTransform Truth { get; } = new(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(20, -10, 35)), new Vec3(0.02, -0.01, 0.6));

    public static SampleConditions Plain { get; } = new(true, 0, 0.6, 0, 1);

    /// <summary>A sample whose estimate is off by <paramref name="offset"/> and <paramref name="degrees"/> about z; null offset: not found.</summary>
    public static SampleOutcome Sample(
        Vec3? offset, double degrees = 0, double latency = 0.02, SampleConditions? conditions = null, int imageId = 0, double confidence = 0.9)
    {
        RigidTransform? estimate = offset is { } o
            ? new RigidTransform(Truth.Rotation * Rotation3.FromAxisAngle(new Vec3(0, 0, 1), degrees * Math.PI / 180), Truth.Translation + o)
            : null;
        return SampleOutcome.Create(
            imageId, 1, Truth, estimate, estimate is null ? 0 : confidence, estimate is null ? "none" : "baseline", "policy_baseline_only",
            PoseErrorMetrics.BoxSurfacePoints(new Vec3(0.1, 0.06, 0.04)), 0.1244, new FrameLatency(latency, 0, 0, 0, latency), conditions ?? Plain);
    }
}
