using EdgePose.Runtime.Baseline;
using EdgePose.Lab.Evaluation;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Simulation.Scene;
using EdgePose.Runtime.Tests.Geometry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace EdgePose.Runtime.Tests.Baseline;

public sealed class ArucoBaselineEstimatorTests(ITestOutputHelper output) : IDisposable
{
    private static readonly CameraIntrinsics Camera = CameraIntrinsics.Default640x480;
    private static readonly TargetObject Box = TargetObject.DefaultBox;
    private readonly ArucoBaselineEstimator _estimator = new(new BaselineOptions(), GraspTolerance.Default);

    public void Dispose() => _estimator.Dispose();

    [Fact]
    public void Searching_first_where_the_last_frame_had_the_marker_finds_the_pose_the_whole_image_gives()
    {
        // A live sequence (the scripted path at 30 fps): from the second frame on, the marker is searched for around where
        // the previous frame had it. A fresh estimator per frame searches the whole image every time. Sub-pixel refinement
        // stops within its tolerance of where it started, so the corners differ by a few thousandths of a pixel: the
        // poses agree to far below what a grasp could notice (under a micrometre and 0.01° here), not bit for bit.
        using var renderer = new SyntheticSceneRenderer(
            new SyntheticSceneOptions { Seed = 4, MarkerHiddenProbability = 0, OcclusionProbability = 0 }, Camera, [Box]);
        using var live = new ArucoBaselineEstimator(new BaselineOptions(), GraspTolerance.Default, searchNearLastSeen: true);
        var (found, sameRegion) = (0, 0);
        for (var frame = 0; frame < 40; frame++)
        {
            using var scene = renderer.Render(frame);
            var sequential = Assert.Single(live.Estimate(scene.Image, Camera, [Box]));
            using var fresh = new ArucoBaselineEstimator(new BaselineOptions(), GraspTolerance.Default);
            var whole = Assert.Single(fresh.Estimate(scene.Image, Camera, [Box]));

            Assert.Equal(whole is null, sequential is null);
            if (whole is not null)
            {
                found++;
                Assert.True(sequential!.Pose.PositionErrorTo(whole.Pose) < 1e-5 && sequential.Pose.AngleErrorDegreesTo(whole.Pose) < 0.01, $"frame {frame}: {sequential.Pose.PositionErrorTo(whole.Pose) * 1000:0.000000} mm, {sequential.Pose.AngleErrorDegreesTo(whole.Pose):0.000000}°, local {live.LastSearchWasLocal}");
                Assert.Equal(whole.Confidence, sequential.Confidence, 3);
            }

            sameRegion += live.LastSearchWasLocal ? 1 : 0;
        }

        output.WriteLine($"{found} of 40 frames with a marker pose; {sameRegion} found in the region searched first");
        Assert.True(found >= 30 && sameRegion >= found - 2, $"{found} found, {sameRegion} in the region searched first");
    }

    [Fact]
    public void The_marker_is_searched_first_where_the_caller_expects_it_and_a_wrong_guess_only_costs_time()
    {
        // The first frame of a live estimator has no previous frame: only the expected pose (the model's unsure answer, in
        // the pipeline) can make its search local. A guess 30 cm off, or behind the camera, falls back to the whole image.
        using var renderer = new SyntheticSceneRenderer(
            new SyntheticSceneOptions { Seed = 4, MarkerHiddenProbability = 0, OcclusionProbability = 0 }, Camera, [Box]);
        using var scene = renderer.Render(0);
        var truth = scene.Truth.Objects[0].Pose;
        var whole = Assert.Single(_estimator.Estimate(scene.Image, Camera, [Box]));
        Assert.NotNull(whole);

        var guesses = new (RigidTransform? Guess, bool Local)[]
        {
            (truth with { Translation = truth.Translation + new Vec3(0.005, -0.005, 0.02) }, true),
            (truth with { Translation = truth.Translation + new Vec3(0.3, 0, 0) }, false),
            (truth with { Translation = new Vec3(0, 0, -1) }, false),
            (null, false),
        };
        foreach (var (guess, local) in guesses)
        {
            using var live = new ArucoBaselineEstimator(new BaselineOptions(), GraspTolerance.Default, searchNearLastSeen: true);
            var found = Assert.Single(live.Estimate(scene.Image, Camera, [Box], [guess]));

            Assert.Equal(local, live.LastSearchWasLocal);
            Assert.True(found!.Pose.PositionErrorTo(whole.Pose) < 1e-5 && found.Pose.AngleErrorDegreesTo(whole.Pose) < 0.01, $"guess {guess}");
        }
    }

    [Fact]
    public async Task Dispose_waits_for_a_running_detection_and_later_calls_are_refused()
    {
        // Large and full of square contours, so a detection is still running when Dispose comes.
        using var image = new OpenCvSharp.Mat(3000, 4000, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.White);
        var random = new Random(3);
        for (var i = 0; i < 3000; i++)
        {
            var side = random.Next(12, 60);
            OpenCvSharp.Cv2.Rectangle(image, new OpenCvSharp.Rect(random.Next(4000 - side), random.Next(3000 - side), side, side), OpenCvSharp.Scalar.Black, -1);
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var estimator = new ArucoBaselineEstimator(new BaselineOptions(), GraspTolerance.Default);
            estimator.Estimate(image, Camera, [Box]);
            using var started = new ManualResetEventSlim();
            var detection = Task.Run(() =>
            {
                started.Set();
                return estimator.Estimate(image, Camera, [Box]);
            });
            started.Wait();
            await Task.Delay(10 * attempt);

            // Freeing the native detector under a running detection crashed the process; now Dispose waits for it.
            estimator.Dispose();
            try
            {
                await detection;
            }
            catch (ObjectDisposedException)
            {
                // Dispose came first: the detection never started on freed buffers.
            }

            Assert.Throws<ObjectDisposedException>(() => estimator.Estimate(image, Camera, [Box]));
        }
    }

    /// <summary>
    /// The requirement as written, on the Random trajectory with its default noise (σ = 2) and brightness range;
    /// blur and occluders off because the requirement is about a fully visible marker. "Fully visible" is the truth's
    /// MarkerVisible: quiet zone entirely inside the image, nothing covering any of it, and facing the camera within the
    /// renderer's 75° limit; no tighter viewing-angle restriction. Misses count as failures.
    /// </summary>
    [Fact]
    public void Recovers_random_poses_with_a_visible_marker_to_millimetres_and_degrees()
    {
        var options = new SyntheticSceneOptions { Trajectory = TrajectoryKind.Random, OcclusionProbability = 0, MarkerHiddenProbability = 0, BlurProbability = 0 };
        using var renderer = new SyntheticSceneRenderer(options, Camera, [Box]);
        var positionErrors = new List<double>();
        var angleErrors = new List<double>();
        var missed = 0;
        for (var index = 0L; positionErrors.Count + missed < 200; index++)
        {
            using var scene = renderer.Render(index);
            var truth = scene.Truth.Objects[0];
            if (!truth.MarkerVisible)
            {
                continue;
            }

            var estimate = _estimator.Estimate(scene.Image, Camera, [Box])[0];
            if (estimate is null)
            {
                missed++;
                continue;
            }

            positionErrors.Add(estimate.Pose.PositionErrorTo(truth.Pose));
            angleErrors.Add(estimate.Pose.AngleErrorDegreesTo(truth.Pose));
            PnpSolverTests.AssertValidCovariance(estimate.Covariance);
            Assert.InRange(estimate.Confidence, 0, 1);
        }

        var within = positionErrors.Zip(angleErrors).Count(e => e.First < 0.005 && e.Second < 2);
        var position = Distribution.Of(positionErrors);
        var angle = Distribution.Of(angleErrors);
        output.WriteLine(
            $"missed {missed}; position median {position.Median * 1000:F2} mm p90 {position.P90 * 1000:F2} mm; "
            + $"angle median {angle.Median:F2}° p90 {angle.P90:F2}°; within 5 mm/2°: {within}/200");
        Assert.True(within >= 190, $"only {within}/200 within 5 mm and 2°");
        Assert.True(position.Median < 0.008);
        Assert.True(angle.Median < 1.5);
    }

    [Fact]
    public void Hidden_marker_gives_no_pose()
    {
        var facing = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI + 0.3), new Vec3(0.02, 0.01, 0.5));
        using var renderer = new SyntheticSceneRenderer(new SyntheticSceneOptions(), Camera, [Box]);
        for (var i = 0; i < 10; i++)
        {
            using var hidden = renderer.Render(i, [facing], SceneConditions.Clean with { MarkerHidden = true });
            Assert.Null(Assert.Single(_estimator.Estimate(hidden.Image, Camera, [Box])));

            using var clean = renderer.Render(i, [facing], SceneConditions.Clean);
            var estimate = Assert.Single(_estimator.Estimate(clean.Image, Camera, [Box]));
            Assert.NotNull(estimate);
            Assert.True(estimate.Pose.PositionErrorTo(facing) < 0.005);
        }
    }

    [Fact]
    public void Small_far_face_on_marker_is_flagged_ambiguous_and_a_near_tilted_one_is_not()
    {
        var faceOnFar = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI + 0.05), new Vec3(0.01, 0, 1.0));
        var tiltedNear = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(1, 0.3, 0), Math.PI + 0.7), new Vec3(0, 0, 0.35));
        // Every pose, however unsure, to compare their confidences.
        var serveAll = new BaselineOptions { ConfidenceThreshold = 0 };
        var far = ArucoBaselineEstimator.EstimateFromCorners(Box.Marker, NoisyCorners(faceOnFar, 1), Camera, serveAll, GraspTolerance.Default);
        var near = ArucoBaselineEstimator.EstimateFromCorners(Box.Marker, NoisyCorners(tiltedNear, 2), Camera, serveAll, GraspTolerance.Default);

        Assert.NotNull(far);
        Assert.NotNull(near);
        Assert.True(far.RotationAmbiguous);
        Assert.False(near.RotationAmbiguous);
        Assert.True(far.Confidence < near.Confidence);
        Assert.True(near.Pose.AngleErrorDegreesTo(tiltedNear) < 1);
    }

    [Fact]
    public void The_flip_reflects_the_marker_normal_about_the_line_of_sight()
    {
        var pose = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI + 0.4), new Vec3(0.1, 0, 0.6));
        var flipped = ArucoBaselineEstimator.FlipAboutLineOfSight(pose);
        var ray = pose.Translation.Normalized();
        var normal = pose.Rotation.Column(2);
        var reflected = flipped.Rotation.Column(2);
        Assert.Equal(normal.Dot(ray), reflected.Dot(ray), 9);
        Assert.True((normal + reflected).Cross(ray).Length < 1e-9);
        Assert.Equal(pose.Translation, flipped.Translation);
    }

    [Fact]
    public void Confidence_for_exact_corners_is_what_the_covariance_allows_and_zero_beyond_the_reprojection_limit()
    {
        var pose = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(1, 0.2, 0), Math.PI + 0.6), new Vec3(0, 0, 0.4));
        var exact = PnpSolver.Project(Box.Marker.CornersInObject, Camera, pose);
        var estimate = ArucoBaselineEstimator.EstimateFromCorners(Box.Marker, exact, Camera, new BaselineOptions(), GraspTolerance.Default);
        Assert.NotNull(estimate);
        // No reprojection error and no ambiguity: only the detector's resolution limit, through the covariance, is left.
        Assert.Equal(GraspTolerance.Default.Confidence(estimate.Covariance), estimate.Confidence, 9);
        Assert.InRange(estimate.Confidence, 0.8, 1);
        Assert.True(estimate.Pose.PositionErrorTo(pose) < 1e-6);

        exact[0] = new OpenCvSharp.Point2d(exact[0].X + 12, exact[0].Y - 9);
        var bad = ArucoBaselineEstimator.EstimateFromCorners(Box.Marker, exact, Camera, new BaselineOptions { ConfidenceThreshold = 0 }, GraspTolerance.Default);
        Assert.NotNull(bad);
        Assert.Equal(0, bad.Confidence);

        // Below Baseline:ConfidenceThreshold (0.15 by default) the pose is not served at all.
        Assert.Null(ArucoBaselineEstimator.EstimateFromCorners(Box.Marker, exact, Camera, new BaselineOptions(), GraspTolerance.Default));
    }

    [Fact]
    public void AddBaseline_binds_validates_and_registers_the_estimator()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["EdgePose:Baseline:MaxReprojectionErrorPx"] = "5", ["EdgePose:Baseline:CornerRefinement"] = "Contour" })
            .Build();
        using var provider = new ServiceCollection().AddBaseline(configuration).BuildServiceProvider();
        Assert.Equal(5, provider.GetRequiredService<IOptions<BaselineOptions>>().Value.MaxReprojectionErrorPx);
        Assert.IsType<ArucoBaselineEstimator>(provider.GetRequiredService<IBaselineEstimator>());

        var invalid = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["EdgePose:Baseline:MaxReprojectionErrorPx"] = "0" })
            .Build();
        using var bad = new ServiceCollection().AddBaseline(invalid).BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<BaselineOptions>>().Value);
    }

    private static OpenCvSharp.Point2d[] NoisyCorners(RigidTransform pose, int seed)
    {
        var random = new Random(seed);
        return [.. PnpSolver.Project(Box.Marker.CornersInObject, Camera, pose)
            .Select(p => new OpenCvSharp.Point2d(p.X + ((random.NextDouble() - 0.5) * 0.3), p.Y + ((random.NextDouble() - 0.5) * 0.3)))];
    }
}
