using EdgePose.Core.Geometry;
using EdgePose.Core.Poses;
using EdgePose.Runtime.Metrics;
using EdgePose.Runtime.Tests.Capture;

namespace EdgePose.Runtime.Tests.Metrics;

public sealed class PoseMetricsTests
{
    [Fact]
    public void Served_poses_are_counted_per_object_with_their_quality_and_only_for_the_workcells_objects()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new PoseMetrics(registry, ["box", "lid"]);

        metrics.PosePublished(Found("box", PoseSource.Model, FallbackReason.None, confidence: 0.8, reprojectionErrorPx: 1.5));
        metrics.PosePublished(Found("box", PoseSource.Baseline, FallbackReason.ModelLowConfidence, confidence: 0.95, reprojectionErrorPx: 0.4));
        metrics.PosePublished(new ObjectPose("lid", null, PoseFrame.Camera, PoseSource.None, FallbackReason.ModelLowConfidence));
        metrics.PosePublished(Found("intruder", PoseSource.Model, FallbackReason.None, confidence: 0.5, reprojectionErrorPx: 3));

        Assert.Equal(1, MetricValues.Read(registry, "edgepose_results_published_total{source=\"model\",object_id=\"box\"}"));
        Assert.Equal(1, MetricValues.Read(registry, "edgepose_results_published_total{source=\"baseline\",object_id=\"box\"}"));
        Assert.Equal(1, MetricValues.Read(registry, "edgepose_results_published_total{source=\"none\",object_id=\"lid\"}"));
        Assert.Equal(0, MetricValues.Read(registry, "edgepose_results_published_total{source=\"model\",object_id=\"lid\"}"));
        Assert.Equal(1, MetricValues.Read(registry, "edgepose_fallbacks_total{reason=\"model_low_confidence\",object_id=\"lid\"}"));
        Assert.Equal(0.8, MetricValues.Read(registry, "edgepose_pose_confidence_ratio_sum{source=\"model\",object_id=\"box\"}"), 6);
        Assert.Equal(1, MetricValues.Read(registry, "edgepose_pose_confidence_ratio_bucket{source=\"baseline\",object_id=\"box\",le=\"0.95\"}"));
        Assert.Equal(0, MetricValues.Read(registry, "edgepose_pose_reprojection_error_pixels_bucket{source=\"model\",object_id=\"box\",le=\"1\"}"));
        Assert.Equal(1, MetricValues.Read(registry, "edgepose_pose_reprojection_error_pixels_bucket{source=\"model\",object_id=\"box\",le=\"2\"}"));

        // Nothing was found for the lid, so it has no quality to observe.
        Assert.Equal(0, MetricValues.Read(registry, "edgepose_pose_confidence_ratio_count{source=\"model\",object_id=\"lid\"}"));

        // An id the workcell does not configure creates no label value: the label's cardinality is the workcell's.
        Assert.DoesNotContain("intruder", MetricValues.Exposition(registry));
    }

    private static ObjectPose Found(string objectId, PoseSource source, FallbackReason reason, double confidence, double reprojectionErrorPx) => new(
        objectId,
        new PoseEstimate(RigidTransform.Identity, [.. new double[36]], reprojectionErrorPx, confidence, false),
        PoseFrame.Camera,
        source,
        reason);
}
