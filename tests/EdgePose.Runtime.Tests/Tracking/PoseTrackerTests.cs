using EdgePose.Core.Geometry;
using EdgePose.Core.Poses;
using EdgePose.Runtime.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EdgePose.Runtime.Tests.Tracking;

public sealed class PoseTrackerTests
{
    private static readonly TimeSpan FrameInterval = TimeSpan.FromSeconds(1.0 / 30);
    private static readonly Vec3 Start = new(0.05, -0.02, 0.6);
    private static readonly Rotation3 Upright = Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI);

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Noisy_poses_of_a_moving_object_come_out_smoother_with_its_velocity()
    {
        var tracker = Tracker();
        var velocity = new Vec3(0.1, 0, -0.05);
        var spin = new Vec3(0, 0, 0.5);
        var random = new Random(7);
        double rawSquares = 0, filteredSquares = 0, rawAngles = 0, filteredAngles = 0;
        TrackedPose track = TrackedPose.Untracked;
        for (var i = 0; i < 90; i++)
        {
            var seconds = i * FrameInterval.TotalSeconds;
            var truth = new RigidTransform(Rotation3.FromRodrigues(spin * seconds) * Upright, Start + (velocity * seconds));
            var noisy = new RigidTransform(
                Rotation3.FromRodrigues(Gaussian(random, 0.01)) * truth.Rotation, truth.Translation + Gaussian(random, 0.004));
            track = Step(tracker, noisy, sigma: 0.004, angleSigma: 0.01);
            if (i >= 30)
            {
                rawSquares += Math.Pow(noisy.PositionErrorTo(truth), 2);
                filteredSquares += Math.Pow(track.Pose!.Value.PositionErrorTo(truth), 2);
                rawAngles += Math.Pow(noisy.AngleErrorDegreesTo(truth), 2);
                filteredAngles += Math.Pow(track.Pose!.Value.AngleErrorDegreesTo(truth), 2);
            }
        }

        Assert.Equal(TrackState.Tracking, track.State);
        Assert.True(filteredSquares < rawSquares * 0.7, $"position RMS raw {Math.Sqrt(rawSquares / 60):0.0000} m, filtered {Math.Sqrt(filteredSquares / 60):0.0000} m");
        Assert.True(filteredAngles < rawAngles * 0.7, $"angle RMS raw {Math.Sqrt(rawAngles / 60):0.00}°, filtered {Math.Sqrt(filteredAngles / 60):0.00}°");
        Assert.True(track.LinearVelocity.DistanceTo(velocity) < 0.03, $"velocity {track.LinearVelocity}");
        Assert.True(track.AngularVelocity.DistanceTo(spin) < 0.3, $"angular velocity {track.AngularVelocity}");
        Assert.Equal(36, track.Covariance.Length);
    }

    [Fact]
    public void A_jump_is_held_back_while_the_track_coasts_and_taken_once_it_persists()
    {
        var tracker = Tracker();
        var steady = new RigidTransform(Upright, Start);
        for (var i = 0; i < 10; i++)
        {
            Step(tracker, steady);
        }

        var moved = new RigidTransform(Upright, Start + new Vec3(0.08, 0, 0));
        var first = Step(tracker, moved);
        Assert.Equal((TrackState.Coasting, RawPoseVerdict.Outlier), (first.State, first.Verdict));
        Assert.True(first.Pose!.Value.PositionErrorTo(steady) < 0.002, "the outlier does not reach the filtered pose");

        // An outlier followed by an honest pose: the run of jumps ends, the track carries on.
        Assert.Equal(RawPoseVerdict.Accepted, Step(tracker, steady).Verdict);

        Assert.Equal(RawPoseVerdict.Outlier, Step(tracker, moved).Verdict);
        Assert.Equal(RawPoseVerdict.Outlier, Step(tracker, moved).Verdict);
        var third = Step(tracker, moved);
        Assert.Equal((TrackState.Tracking, RawPoseVerdict.Reacquired), (third.State, third.Verdict));
        Assert.True(third.Pose!.Value.PositionErrorTo(moved) < 1e-9, "re-acquired at the persisting pose");
    }

    [Fact]
    public void An_object_that_suddenly_moves_off_is_followed_within_a_few_frames()
    {
        var tracker = Tracker();
        for (var i = 0; i < 30; i++)
        {
            Step(tracker, new RigidTransform(Upright, Start));
        }

        var velocity = new Vec3(0.4, 0, 0);
        var lagging = new List<double>();
        for (var i = 1; i <= 30; i++)
        {
            var truth = new RigidTransform(Upright, Start + (velocity * (i * FrameInterval.TotalSeconds)));
            var track = Step(tracker, truth);
            lagging.Add(track.Pose!.Value.PositionErrorTo(truth));
        }

        Assert.True(lagging.Skip(8).All(e => e < 0.01), $"position error per frame after the start (mm): {string.Join(", ", lagging.Select(e => $"{e * 1000:0}"))}");
        Assert.True(lagging.Max() < 0.02, $"largest lag {lagging.Max() * 1000:0} mm");
    }

    [Fact]
    public void A_jump_judged_against_a_wide_covariance_is_motion_not_an_outlier()
    {
        var tracker = Tracker();
        for (var i = 0; i < 10; i++)
        {
            Step(tracker, new RigidTransform(Upright, Start), sigma: 0.05);
        }

        var moved = Step(tracker, new RigidTransform(Upright, Start + new Vec3(0.08, 0, 0)), sigma: 0.05);

        Assert.Equal(RawPoseVerdict.Accepted, moved.Verdict);
    }

    [Fact]
    public void The_noise_floor_keeps_an_overconfident_covariance_from_rejecting_millimetre_noise()
    {
        var tracker = Tracker();
        var random = new Random(3);
        for (var i = 0; i < 60; i++)
        {
            var pose = new RigidTransform(Rotation3.FromRodrigues(Gaussian(random, 0.003)) * Upright, Start + Gaussian(random, 0.0015));
            var track = Step(tracker, pose, sigma: 1e-6, angleSigma: 1e-6);
            Assert.True(track.Verdict is RawPoseVerdict.Started or RawPoseVerdict.Accepted, $"frame {i}: {track.Verdict}");
        }
    }

    [Fact]
    public void A_half_turn_flip_in_place_is_held_whole_until_it_persists()
    {
        var tracker = Tracker(new TrackingOptions { FlipReacquireFrames = 4 });
        for (var i = 0; i < 10; i++)
        {
            Step(tracker, new RigidTransform(Upright, Start));
        }

        var flipped = Rotation3.FromAxisAngle(new Vec3(0, 1, 0), Math.PI) * Upright;
        var nudged = Start + new Vec3(0.004, 0, 0);
        for (var i = 0; i < 3; i++)
        {
            var track = Step(tracker, new RigidTransform(flipped, nudged));
            Assert.Equal((TrackState.Coasting, RawPoseVerdict.Flip), (track.State, track.Verdict));
            Assert.True(Rotation3.AngleBetweenDegrees(track.Pose!.Value.Rotation, Upright) < 0.5, "the flipped rotation is held back");
            Assert.True(track.Pose!.Value.PositionErrorTo(new RigidTransform(Upright, Start)) < 0.0005, "and so is its position");
        }

        var taken = Step(tracker, new RigidTransform(flipped, nudged));
        Assert.Equal((TrackState.Tracking, RawPoseVerdict.Reacquired), (taken.State, taken.Verdict));
        Assert.True(Rotation3.AngleBetweenDegrees(taken.Pose!.Value.Rotation, flipped) < 1e-6, "a persisting flip is taken");
        Assert.True(taken.Pose!.Value.Translation.X > Start.X + 0.001, "with its position");
    }

    [Fact]
    public void A_sudden_turn_in_place_smaller_than_a_flip_is_held_only_for_the_reacquire_frames()
    {
        var tracker = Tracker();
        for (var i = 0; i < 10; i++)
        {
            Step(tracker, new RigidTransform(Upright, Start));
        }

        var turned = Rotation3.FromAxisAngle(new Vec3(0, 0, 1), 20 * Math.PI / 180) * Upright;
        var moved = Start + new Vec3(0.004, 0, 0);
        var first = Step(tracker, new RigidTransform(turned, moved));
        Assert.Equal((TrackState.Tracking, RawPoseVerdict.Flip), (first.State, first.Verdict));
        var second = Step(tracker, new RigidTransform(turned, moved));
        Assert.Equal(RawPoseVerdict.Flip, second.Verdict);
        Assert.True(second.Pose!.Value.Translation.X > Start.X + 0.001, "the position of a sudden turn is used");
        var taken = Step(tracker, new RigidTransform(turned, moved));

        Assert.Equal(RawPoseVerdict.Reacquired, taken.Verdict);
        Assert.True(Rotation3.AngleBetweenDegrees(taken.Pose!.Value.Rotation, turned) < 1e-6);
    }

    [Fact]
    public void A_track_started_on_a_flipped_pose_gives_way_once_the_right_rotation_outnumbers_it()
    {
        var tracker = Tracker();
        var flipped = Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI) * Upright;
        Assert.Equal(RawPoseVerdict.Started, Step(tracker, new RigidTransform(flipped, Start)).Verdict);

        Assert.Equal(RawPoseVerdict.Flip, Step(tracker, new RigidTransform(Upright, Start)).Verdict);
        var corrected = Step(tracker, new RigidTransform(Upright, Start));

        Assert.Equal(RawPoseVerdict.Reacquired, corrected.Verdict);
        Assert.True(Rotation3.AngleBetweenDegrees(corrected.Pose!.Value.Rotation, Upright) < 1e-6);
        Assert.Equal(RawPoseVerdict.Flip, Step(tracker, new RigidTransform(flipped, Start)).Verdict);
        Assert.Equal(RawPoseVerdict.Flip, Step(tracker, new RigidTransform(flipped, Start)).Verdict);
    }

    [Fact]
    public void A_track_unseen_for_the_drop_time_is_lost_and_a_later_sighting_starts_a_new_one()
    {
        var tracker = Tracker(new TrackingOptions { DropAfter = TimeSpan.FromMilliseconds(300) });
        var moving = new Vec3(0.3, 0, 0);
        for (var i = 0; i < 10; i++)
        {
            Step(tracker, new RigidTransform(Upright, Start + (moving * (i * FrameInterval.TotalSeconds))));
        }

        var coasting = Step(tracker, null);
        Assert.Equal((TrackState.Coasting, RawPoseVerdict.NotFound), (coasting.State, coasting.Verdict));
        Assert.True(coasting.Pose!.Value.Translation.X > Start.X + (moving.X * 9 * FrameInterval.TotalSeconds), "coasting predicts the motion on");

        // Judged later without a new frame (a camera that stopped): lost once the drop time has passed.
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        var judged = coasting.AsSeenAt(_clock.GetTimestamp(), _clock);
        Assert.Equal(TrackState.Lost, judged.State);
        Assert.Null(judged.Pose);
        Assert.True(judged.SinceSighting(_clock.GetTimestamp(), _clock) > TimeSpan.FromMilliseconds(400));

        var lost = Step(tracker, null);
        Assert.Equal(TrackState.Lost, lost.State);
        Assert.Null(lost.Pose);
        Assert.NotNull(lost.LastSightingTimestamp);

        var fresh = Step(tracker, new RigidTransform(Upright, Start + new Vec3(0.2, 0, 0)));
        Assert.Equal((TrackState.Tracking, RawPoseVerdict.Started), (fresh.State, fresh.Verdict));
    }

    [Fact]
    public void Objects_are_tracked_apart_and_an_object_never_seen_has_no_track()
    {
        var tracker = Tracker();
        var poses = tracker.Update(
            [Pose("box", new RigidTransform(Upright, Start), 0.002, 0.01), new ObjectPose("lid", null, PoseFrame.Camera, PoseSource.None, FallbackReason.ModelLowConfidence)],
            _clock.GetTimestamp());

        Assert.Equal(TrackState.Tracking, poses[0].Track.State);
        Assert.Equal((TrackState.Lost, (long?)null), (poses[1].Track.State, poses[1].Track.LastSightingTimestamp));
    }

    [Theory]
    [InlineData("DropAfter", "00:00:00", "EdgePose:Tracking:DropAfter = '00:00:00': must be between")]
    [InlineData("GateSigmas", "0", "EdgePose:Tracking:GateSigmas = '0'")]
    [InlineData("ReacquireFrames", "0", "EdgePose:Tracking:ReacquireFrames = '0'")]
    public void Invalid_settings_are_rejected_with_the_setting_named(string setting, string value, string expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([KeyValuePair.Create($"{TrackingOptions.SectionName}:{setting}", (string?)value)])
            .Build();
        using var services = new ServiceCollection().AddLogging().AddPoseTracking(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IPoseTracker>());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private PoseTracker Tracker(TrackingOptions? options = null) =>
        new(Options.Create(options ?? new TrackingOptions()), _clock, NullLogger<PoseTracker>.Instance);

    /// <summary>One frame later, the tracker's answer for one object seen at <paramref name="pose"/> (null: not found).</summary>
    private TrackedPose Step(PoseTracker tracker, RigidTransform? pose, double sigma = 0.002, double angleSigma = 0.01)
    {
        _clock.Advance(FrameInterval);
        var observed = pose is { } p
            ? Pose("box", p, sigma, angleSigma)
            : new ObjectPose("box", null, PoseFrame.Camera, PoseSource.None, FallbackReason.ModelLowConfidence);
        return tracker.Update([observed], _clock.GetTimestamp())[0].Track;
    }

    private static ObjectPose Pose(string id, RigidTransform pose, double sigma, double angleSigma)
    {
        var covariance = new double[36];
        for (var i = 0; i < 6; i++)
        {
            covariance[i * 7] = i < 3 ? sigma * sigma : angleSigma * angleSigma;
        }

        return new ObjectPose(id, new PoseEstimate(pose, [.. covariance], 0.5, 0.9, false), PoseFrame.Camera, PoseSource.Model, FallbackReason.None);
    }

    private static Vec3 Gaussian(Random random, double sigma)
    {
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return new Vec3(Normal(), Normal(), Normal()) * sigma;
    }
}
