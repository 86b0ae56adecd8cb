using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Poses;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Tracking;

/// <summary>
/// Per object, a temporal filter over the successive results of one camera: a smoothed pose and velocity, with jumps in
/// position or rotation held back until they persist. Not thread-safe: one caller (the live loop) feeds it in capture order.
/// </summary>
public interface IPoseTracker
{
    /// <summary>Each pose with its <see cref="ObjectPose.Track"/> after this frame.</summary>
    /// <param name="captureTimestamp">The frame's capture time on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>).</param>
    ImmutableArray<ObjectPose> Update(ImmutableArray<ObjectPose> poses, long captureTimestamp);
}

internal sealed partial class PoseTracker : IPoseTracker
{
    private const double RadiansPerDegree = Math.PI / 180;

    /// <summary>Over this long a starting track's unknown speed could have built up at the configured acceleration.</summary>
    private const double StartingSpeedSeconds = 1;

    private readonly TrackingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PoseTracker> _logger;
    private readonly double _gate;
    private readonly double _linearNoise;
    private readonly double _angularNoise;
    private readonly double _flipAngle;
    private readonly Dictionary<string, ObjectTrack> _tracks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastSightings = new(StringComparer.Ordinal);

    public PoseTracker(IOptions<TrackingOptions> options, TimeProvider timeProvider, ILogger<PoseTracker> logger)
    {
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _gate = _options.GateSigmas * _options.GateSigmas;
        _linearNoise = _options.LinearAcceleration * _options.LinearAcceleration;
        _angularNoise = Math.Pow(_options.AngularAccelerationDegrees * RadiansPerDegree, 2);
        _flipAngle = _options.FlipMinAngleDegrees * RadiansPerDegree;
    }

    public ImmutableArray<ObjectPose> Update(ImmutableArray<ObjectPose> poses, long captureTimestamp)
    {
        var tracked = ImmutableArray.CreateBuilder<ObjectPose>(poses.Length);
        foreach (var pose in poses)
        {
            tracked.Add(pose with { Track = Update(pose, captureTimestamp) });
        }

        return tracked.MoveToImmutable();
    }

    private TrackedPose Update(ObjectPose pose, long now)
    {
        if (_tracks.TryGetValue(pose.ObjectId, out var track))
        {
            var unseen = _time.GetElapsedTime(track.SightedAt, now);
            if (unseen > _options.DropAfter)
            {
                _tracks.Remove(pose.ObjectId);
                LogTrackLost(_logger, pose.ObjectId, unseen.TotalSeconds);
                track = null;
            }
            else
            {
                // A frame older than the track (never in capture order) predicts nothing.
                var seconds = Math.Max(0, _time.GetElapsedTime(track.UpdatedAt, now).TotalSeconds);
                track.Predict(seconds, now, _linearNoise, _angularNoise);
            }
        }

        if (pose.Estimate is not { } estimate)
        {
            return track is null ? Lost(pose.ObjectId) : Report(track, TrackState.Coasting, RawPoseVerdict.NotFound);
        }

        var measurement = Measurement.Of(
            estimate.Pose, estimate.Covariance, now, _options.PositionNoiseFloorMeters, _options.AngleNoiseFloorDegrees * RadiansPerDegree);
        if (track is null)
        {
            return Report(Start(pose.ObjectId, measurement, 1, Vec3.Zero, Vec3.Zero), TrackState.Tracking, RawPoseVerdict.Started);
        }

        var positionAgrees = Within(track.PositionInnovation(measurement), track.PositionInnovationCovariance(measurement));
        var rotationAgrees = Within(track.RotationInnovation(measurement), track.RotationInnovationCovariance(measurement));
        if (!positionAgrees)
        {
            return Jump(pose.ObjectId, track, measurement);
        }

        track.Outlier = null;
        if (rotationAgrees)
        {
            track.Flip = null;
            Take(pose.ObjectId, track, measurement);
            track.CorrectRotation(measurement);
            return Report(track, TrackState.Tracking, RawPoseVerdict.Accepted);
        }

        // A large jump (or an ambiguous pose) is a flip between look-alike answers, whose keypoints, and so whose position,
        // are suspect too: the whole pose waits. A smaller jump is more likely a sudden real turn: its position is used.
        var flip = estimate.RotationAmbiguous || track.RotationInnovation(measurement).Length >= _flipAngle;
        if (!flip)
        {
            Take(pose.ObjectId, track, measurement);
        }

        track.Flip = Candidate(track.Flip, measurement, withPosition: false);
        if (track.Flip.Count < Persistence(flip ? _options.FlipReacquireFrames : _options.ReacquireFrames, track.RotationSupport))
        {
            return Report(track, flip ? TrackState.Coasting : TrackState.Tracking, RawPoseVerdict.Flip);
        }

        if (flip)
        {
            Take(pose.ObjectId, track, measurement);
        }

        var (_, angular) = Velocity(track.Flip);
        track.RestartRotation(measurement, track.Flip.Count, angular, AngularRateVariance);
        LogRotationReacquired(_logger, pose.ObjectId, track.Flip.Count);
        track.Flip = null;
        return Report(track, TrackState.Tracking, RawPoseVerdict.Reacquired);
    }

    /// <summary>A position jump: held back (the track coasts) until enough consistent ones say the object really is there.</summary>
    private TrackedPose Jump(string objectId, ObjectTrack track, Measurement measurement)
    {
        track.Outlier = Candidate(track.Outlier, measurement, withPosition: true);
        if (track.Outlier.Count < Persistence(_options.ReacquireFrames, track.PositionSupport))
        {
            return Report(track, TrackState.Coasting, RawPoseVerdict.Outlier);
        }

        var (linear, angular) = Velocity(track.Outlier);
        LogReacquired(_logger, objectId, track.Outlier.Count);
        return Report(Start(objectId, measurement, track.Outlier.Count, linear, angular), TrackState.Tracking, RawPoseVerdict.Reacquired);
    }

    /// <summary>
    /// How many consistent jumps take over: the configured number, or fewer when the track itself rests on fewer poses,
    /// so a track that started on a wrong pose gives way to the right ones as soon as they outnumber it.
    /// </summary>
    private static int Persistence(int configured, int support) => Math.Min(configured, support + 1);

    private ObjectTrack Start(string objectId, Measurement measurement, int support, Vec3 linearVelocity, Vec3 angularVelocity)
    {
        var track = ObjectTrack.Start(measurement, support, linearVelocity, angularVelocity, LinearRateVariance, AngularRateVariance);
        _tracks[objectId] = track;
        _lastSightings[objectId] = measurement.Timestamp;
        return track;
    }

    /// <summary>The pose's position updates the track, which counts as a sighting.</summary>
    private void Take(string objectId, ObjectTrack track, Measurement measurement)
    {
        track.CorrectPosition(measurement);
        track.SightedAt = measurement.Timestamp;
        _lastSightings[objectId] = measurement.Timestamp;
    }

    private double LinearRateVariance => _linearNoise * StartingSpeedSeconds * StartingSpeedSeconds;

    private double AngularRateVariance => _angularNoise * StartingSpeedSeconds * StartingSpeedSeconds;

    /// <summary>Continues the run of held-back jumps when <paramref name="measurement"/> agrees with its latest one; otherwise starts a new run.</summary>
    private JumpCandidate Candidate(JumpCandidate? run, Measurement measurement, bool withPosition)
    {
        if (run is { Last: var last }
            && (!withPosition || Within(measurement.Pose.Translation - last.Pose.Translation, Sum(last.PositionCovariance, measurement.PositionCovariance)))
            && Within(Rotation3.RotationVectorBetween(last.Pose.Rotation, measurement.Pose.Rotation), Sum(last.RotationCovariance, measurement.RotationCovariance)))
        {
            return run with { Last = measurement, Count = run.Count + 1 };
        }

        return new JumpCandidate(measurement, measurement, 1);
    }

    /// <summary>The velocity a run of consistent jumps shows, so a re-acquired track does not start from standstill.</summary>
    private (Vec3 Linear, Vec3 Angular) Velocity(JumpCandidate run)
    {
        var seconds = _time.GetElapsedTime(run.First.Timestamp, run.Last.Timestamp).TotalSeconds;
        if (seconds <= 0)
        {
            return (Vec3.Zero, Vec3.Zero);
        }

        return (
            (run.Last.Pose.Translation - run.First.Pose.Translation) / seconds,
            Rotation3.RotationVectorBetween(run.First.Pose.Rotation, run.Last.Pose.Rotation) / seconds);
    }

    /// <summary>Mahalanobis test: yᵀ S⁻¹ y within the gate's squared sigmas.</summary>
    private bool Within(Vec3 y, double[] s)
    {
        // S is symmetric positive definite (a covariance plus the floor): its inverse through the adjugate.
        var a00 = (s[4] * s[8]) - (s[5] * s[7]);
        var a01 = (s[2] * s[7]) - (s[1] * s[8]);
        var a02 = (s[1] * s[5]) - (s[2] * s[4]);
        var a11 = (s[0] * s[8]) - (s[2] * s[6]);
        var a12 = (s[2] * s[3]) - (s[0] * s[5]);
        var a22 = (s[0] * s[4]) - (s[1] * s[3]);
        var determinant = (s[0] * a00) + (s[3] * a01) + (s[6] * a02);
        if (!(determinant > 0))
        {
            return false;
        }

        var d2 = ((y.X * y.X * a00) + (y.Y * y.Y * a11) + (y.Z * y.Z * a22) + (2 * ((y.X * y.Y * a01) + (y.X * y.Z * a02) + (y.Y * y.Z * a12)))) / determinant;
        return d2 <= _gate;
    }

    private static double[] Sum(double[] a, double[] b) => [.. a.Zip(b, (x, y) => x + y)];

    private TrackedPose Report(ObjectTrack track, TrackState state, RawPoseVerdict verdict) =>
        new(state, verdict, track.Pose, track.Covariance(), track.LinearVelocity, track.AngularVelocity, track.SightedAt, _options.DropAfter);

    private TrackedPose Lost(string objectId) => new(
        TrackState.Lost,
        RawPoseVerdict.NotFound,
        null,
        [],
        Vec3.Zero,
        Vec3.Zero,
        _lastSightings.TryGetValue(objectId, out var seen) ? seen : null,
        _options.DropAfter);

    [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "Track of {ObjectId} lost: not seen for {Seconds:0.00} s")]
    private static partial void LogTrackLost(ILogger logger, string objectId, double seconds);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Debug, Message = "Track of {ObjectId} re-acquired after {Frames} consistent jumps")]
    private static partial void LogReacquired(ILogger logger, string objectId, int frames);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Debug, Message = "Rotation of {ObjectId} re-acquired after {Frames} consistent flips")]
    private static partial void LogRotationReacquired(ILogger logger, string objectId, int frames);
}
