using EdgePose.Lab.Datasets;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Runtime.Metrics;
using EdgePose.Runtime.Pipeline;
using OpenCvSharp;

namespace EdgePose.Lab.Evaluation;

/// <summary>One dataset image as an estimator receives it: decoded pixels, the file (for estimators that send bytes) and its intrinsics.</summary>
public sealed record EvaluationFrame(BopFrame Frame, Mat Image, CameraIntrinsics Camera);

/// <summary>One object's answer, converted back to T_camera_object (grasp offset and base frame undone) so it compares with the ground truth.</summary>
public sealed record ObjectAnswer(string ObjectId, RigidTransform? CameraFromObject, double Confidence, string Source, string FallbackReason)
{
    /// <param name="reported">The pose as the daemon reports it (grasp frame, base frame): the raw or the filtered one.</param>
    public static ObjectAnswer Of(ObjectPose pose, RigidTransform? reported, Workcell workcell)
    {
        var target = workcell.FindObject(pose.ObjectId)!;
        return new ObjectAnswer(
            pose.ObjectId,
            reported is { } r ? PoseReporting.ToCameraObject(r, target, workcell) : null,
            pose.Estimate?.Confidence ?? 0,
            PoseMetrics.Label(pose.Source),
            PoseMetrics.Label(pose.FallbackReason));
    }
}

public sealed record FrameAnswer(IReadOnlyList<ObjectAnswer> Objects, FrameLatency Latency);

/// <summary>Something that answers poses for dataset images: the in-process estimator under one policy, or a running daemon.</summary>
public interface IEvaluatedEstimator
{
    /// <summary>The report's key, e.g. model, baseline, policy, via.</summary>
    string Name { get; }

    /// <summary>For the report: the policy and model it ran with.</summary>
    string Description { get; }

    Task<FrameAnswer> EstimateAsync(EvaluationFrame frame, CancellationToken cancellationToken);
}
