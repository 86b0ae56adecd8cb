using EdgePose.Core.Geometry;
using EdgePose.Core.Poses;
using Google.Protobuf.WellKnownTypes;

namespace EdgePose.Daemon.Grpc;

/// <summary>Runtime results → wire messages, and back for clients of the daemon (eval --via). Pure functions, no state.</summary>
internal static class ProtoMapping
{
    /// <param name="clock">With <paramref name="asOf"/> (its monotonic reading), when the tracks are judged: a track whose
    /// last sighting is older than its drop time by then is reported LOST.</param>
    public static V1.PoseResult ToProto(PoseResult result, string? objectId, TimeProvider clock, long asOf)
    {
        var message = new V1.PoseResult
        {
            FrameSequence = result.FrameSequence,
            CaptureTime = Timestamp.FromDateTimeOffset(result.CaptureTime),
            PublishTime = Timestamp.FromDateTimeOffset(result.PublishTime),
            Synthetic = result.Synthetic,
            Latencies = new V1.StageLatencies
            {
                CaptureWait = Duration.FromTimeSpan(result.Timings.CaptureWait),
                Preprocess = Duration.FromTimeSpan(result.Timings.Preprocess),
                Inference = Duration.FromTimeSpan(result.Timings.Inference),
                Pnp = Duration.FromTimeSpan(result.Timings.Pnp),
                Baseline = Duration.FromTimeSpan(result.Timings.Baseline),
                EndToEnd = Duration.FromTimeSpan(result.Timings.EndToEnd),
            },
        };
        foreach (var pose in result.Poses)
        {
            if (string.IsNullOrEmpty(objectId) || pose.ObjectId == objectId)
            {
                message.Poses.Add(ToProto(pose, clock, asOf));
            }
        }

        return message;
    }

    public static V1.ObjectPose ToProto(ObjectPose pose, TimeProvider clock, long asOf)
    {
        var message = new V1.ObjectPose
        {
            ObjectId = pose.ObjectId,
            Found = pose.Found,
            Frame = pose.Frame == PoseFrame.Base ? V1.ReferenceFrame.Base : V1.ReferenceFrame.Camera,
            Source = ToProto(pose.Source),
            FallbackReason = ToProto(pose.FallbackReason),
        };
        if (pose.Estimate is { } estimate)
        {
            (message.Position, message.Orientation, message.Rpy) = ToProto(estimate.Pose);
            message.Covariance.AddRange(estimate.Covariance);
            message.Confidence = estimate.Confidence;
            message.ReprojectionErrorPx = estimate.ReprojectionErrorPx;
            message.RotationAmbiguous = estimate.RotationAmbiguous;
        }

        if (pose.Track.State != TrackState.None)
        {
            message.Filtered = ToProto(pose.Track.AsSeenAt(asOf, clock), clock, asOf);
        }

        return message;
    }

    private static V1.FilteredPose ToProto(TrackedPose track, TimeProvider clock, long asOf)
    {
        var message = new V1.FilteredPose { State = ToProto(track.State), RawVerdict = ToProto(track.Verdict) };
        if (track.SinceSighting(asOf, clock) is { } since)
        {
            message.SinceSighting = Duration.FromTimeSpan(since);
        }

        if (track.Pose is { } pose)
        {
            (message.Position, message.Orientation, message.Rpy) = ToProto(pose);
            message.Covariance.AddRange(track.Covariance);
            message.LinearVelocity = ToProto(track.LinearVelocity);
            message.AngularVelocity = ToProto(track.AngularVelocity);
        }

        return message;
    }

    private static (V1.Vector3 Position, V1.Quaternion Orientation, V1.RollPitchYaw Rpy) ToProto(RigidTransform pose)
    {
        var q = pose.Rotation.ToQuaternion();
        var rpy = pose.Rotation.ToRollPitchYaw();
        return (ToProto(pose.Translation), new V1.Quaternion { W = q.W, X = q.X, Y = q.Y, Z = q.Z }, new V1.RollPitchYaw { Roll = rpy.Roll, Pitch = rpy.Pitch, Yaw = rpy.Yaw });
    }

    private static V1.Vector3 ToProto(Vec3 v) => new() { X = v.X, Y = v.Y, Z = v.Z };

    public static V1.TrackState ToProto(TrackState state) => state switch
    {
        TrackState.Tracking => V1.TrackState.Tracking,
        TrackState.Coasting => V1.TrackState.Coasting,
        TrackState.Lost => V1.TrackState.Lost,
        _ => V1.TrackState.Unspecified,
    };

    public static V1.RawPoseVerdict ToProto(RawPoseVerdict verdict) => verdict switch
    {
        RawPoseVerdict.Accepted => V1.RawPoseVerdict.Accepted,
        RawPoseVerdict.NotFound => V1.RawPoseVerdict.NotFound,
        RawPoseVerdict.Started => V1.RawPoseVerdict.Started,
        RawPoseVerdict.Outlier => V1.RawPoseVerdict.Outlier,
        RawPoseVerdict.Flip => V1.RawPoseVerdict.Flip,
        RawPoseVerdict.Reacquired => V1.RawPoseVerdict.Reacquired,
        _ => V1.RawPoseVerdict.Unspecified,
    };

    public static V1.PoseSource ToProto(PoseSource source) => source switch
    {
        PoseSource.Model => V1.PoseSource.Model,
        PoseSource.Baseline => V1.PoseSource.Baseline,
        _ => V1.PoseSource.Unspecified,
    };

    public static V1.FallbackReason ToProto(FallbackReason reason) => reason switch
    {
        FallbackReason.None => V1.FallbackReason.None,
        FallbackReason.ModelAbsent => V1.FallbackReason.ModelAbsent,
        FallbackReason.ModelLoadFailed => V1.FallbackReason.ModelLoadFailed,
        FallbackReason.ModelError => V1.FallbackReason.ModelError,
        FallbackReason.ModelOverBudget => V1.FallbackReason.ModelOverBudget,
        FallbackReason.ModelLowConfidence => V1.FallbackReason.ModelLowConfidence,
        FallbackReason.PolicyBaselineOnly => V1.FallbackReason.PolicyBaselineOnly,
        FallbackReason.PolicyMarkerVisible => V1.FallbackReason.PolicyMarkerVisible,
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    public static PoseSource FromProto(V1.PoseSource source) => source switch
    {
        V1.PoseSource.Model => PoseSource.Model,
        V1.PoseSource.Baseline => PoseSource.Baseline,
        _ => PoseSource.None,
    };

    public static FallbackReason FromProto(V1.FallbackReason reason) => reason switch
    {
        V1.FallbackReason.None => FallbackReason.None,
        V1.FallbackReason.ModelAbsent => FallbackReason.ModelAbsent,
        V1.FallbackReason.ModelLoadFailed => FallbackReason.ModelLoadFailed,
        V1.FallbackReason.ModelError => FallbackReason.ModelError,
        V1.FallbackReason.ModelOverBudget => FallbackReason.ModelOverBudget,
        V1.FallbackReason.ModelLowConfidence => FallbackReason.ModelLowConfidence,
        V1.FallbackReason.PolicyBaselineOnly => FallbackReason.PolicyBaselineOnly,
        V1.FallbackReason.PolicyMarkerVisible => FallbackReason.PolicyMarkerVisible,
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    /// <summary>The pose of a found object (position and orientation; the rest of the message is metadata).</summary>
    public static RigidTransform FromProto(V1.ObjectPose pose) => new(
        Rotation3.FromQuaternion(new UnitQuaternion(pose.Orientation.W, pose.Orientation.X, pose.Orientation.Y, pose.Orientation.Z)),
        new Vec3(pose.Position.X, pose.Position.Y, pose.Position.Z));
}
