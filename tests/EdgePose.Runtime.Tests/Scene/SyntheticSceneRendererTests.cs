using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Simulation.Scene;
using OpenCvSharp;
using OpenCvSharp.Aruco;

namespace EdgePose.Runtime.Tests.Scene;

public sealed class SyntheticSceneRendererTests : IDisposable
{
    private static readonly CameraIntrinsics Camera = CameraIntrinsics.Default640x480;
    private readonly SyntheticSceneRenderer _renderer = new(
        new SyntheticSceneOptions { Trajectory = TrajectoryKind.Random, OcclusionProbability = 0.3, MarkerHiddenProbability = 0.2, BlurProbability = 0.3 },
        Camera,
        [TargetObject.DefaultBox]);

    public void Dispose() => _renderer.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(123456)]
    public async Task Same_seed_and_index_give_identical_pixels_and_truth(long index)
    {
        using var first = _renderer.Render(index);
        using var other = new SyntheticSceneRenderer(
            new SyntheticSceneOptions { Trajectory = TrajectoryKind.Random, OcclusionProbability = 0.3, MarkerHiddenProbability = 0.2, BlurProbability = 0.3 },
            Camera,
            [TargetObject.DefaultBox]);

        // Render on another thread too: OpenCV's per-thread RNG must not leak between frames.
        using var second = await Task.Run(() => other.Render(index));

        Assert.Equal(Bytes(first.Image), Bytes(second.Image));
        Assert.Equal(first.Truth.Objects[0].Pose, second.Truth.Objects[0].Pose);
        Assert.Equal(first.Truth.Objects[0].MarkerVisible, second.Truth.Objects[0].MarkerVisible);
        Assert.Equal(first.Truth.Objects[0].OcclusionFraction, second.Truth.Objects[0].OcclusionFraction);
    }

    [Fact]
    public void Different_indices_and_seeds_give_different_frames()
    {
        using var a = _renderer.Render(1);
        using var b = _renderer.Render(2);
        Assert.NotEqual(Bytes(a.Image), Bytes(b.Image));
        Assert.NotEqual(a.Truth.Objects[0].Pose, b.Truth.Objects[0].Pose);

        using var otherSeed = new SyntheticSceneRenderer(new SyntheticSceneOptions { Seed = 2, Trajectory = TrajectoryKind.Random }, Camera, [TargetObject.DefaultBox]);
        using var c = otherSeed.Render(1);
        Assert.NotEqual(Bytes(a.Image), Bytes(c.Image));
    }

    [Theory]
    [InlineData(TrajectoryKind.Random)]
    [InlineData(TrajectoryKind.Scripted)]
    public void Frames_have_the_camera_size_and_the_box_fully_in_view_within_range(TrajectoryKind kind)
    {
        using var renderer = new SyntheticSceneRenderer(new SyntheticSceneOptions { Trajectory = kind }, Camera, [TargetObject.DefaultBox]);
        for (var i = 0; i < 40; i++)
        {
            using var scene = renderer.Render(i * 23);
            Assert.Equal(new Size(Camera.Width, Camera.Height), scene.Image.Size());
            Assert.Equal(MatType.CV_8UC3, scene.Image.Type());
            var truth = Assert.Single(scene.Truth.Objects);
            Assert.InRange(truth.DistanceMeters, 0.3 - 1e-9, 1.0 + 1e-9);
            Assert.Equal(TargetObject.KeypointCount, truth.Keypoints2D.Length);
            Assert.All(truth.Keypoints2D, p =>
            {
                Assert.InRange(p.X, 0, Camera.Width - 1);
                Assert.InRange(p.Y, 0, Camera.Height - 1);
            });
            Assert.Equal(truth.BoundingBox, truth.BoundingBox.Intersect(new Rect(0, 0, Camera.Width, Camera.Height)));
        }
    }

    [Fact]
    public void The_projected_centre_lands_on_a_box_face()
    {
        var faceHues = Enumerable.Range(0, 6).Select(f => Hue(BoxAppearance.FaceColour(f, 0))).ToArray();
        for (var i = 0; i < 20; i++)
        {
            using var scene = _renderer.Render(i, [MarkerAwayPose(i)], SceneConditions.Clean);
            var truth = scene.Truth.Objects[0];
            Assert.Equal(0, truth.OcclusionFraction, 2);
            Assert.Equal(1, truth.VisibleFraction, 2);
            var centre = truth.Keypoints2D[8];
            var pixel = scene.Image.At<Vec3b>((int)Math.Round(centre.Y), (int)Math.Round(centre.X));
            var hue = Hue(new Scalar(pixel.Item0, pixel.Item1, pixel.Item2));
            Assert.Contains(faceHues, h => Math.Abs(h - hue) <= 6 || Math.Abs(h - hue) >= 174);
            Assert.True(truth.BoundingBox.Contains(new Point((int)centre.X, (int)centre.Y)));
            Assert.False(truth.MarkerVisible);
        }
    }

    [Fact]
    public void Marker_hidden_really_hides_it_and_clean_frames_show_it()
    {
        var facing = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI + 0.3), new Vec3(0.02, 0.01, 0.5));
        for (var i = 0; i < 10; i++)
        {
            using var clean = _renderer.Render(i, [facing], SceneConditions.Clean);
            Assert.True(clean.Truth.Objects[0].MarkerVisible);
            Assert.Contains(TargetObject.DefaultBox.Marker.Id, MarkerIds(clean.Image));

            using var hidden = _renderer.Render(i, [facing], SceneConditions.Clean with { MarkerHidden = true });
            Assert.False(hidden.Truth.Objects[0].MarkerVisible);
            Assert.DoesNotContain(TargetObject.DefaultBox.Marker.Id, MarkerIds(hidden.Image));
        }
    }

    [Fact]
    public void Occlusion_covers_about_the_requested_share_of_the_silhouette()
    {
        var pose = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(150, 20, 30)), new Vec3(0, 0, 0.5));
        for (var i = 0; i < 10; i++)
        {
            using var scene = _renderer.Render(i, [pose], SceneConditions.Clean with { OcclusionFraction = 0.25 });
            var truth = scene.Truth.Objects[0];
            Assert.InRange(truth.OcclusionFraction, 0.2, 0.3);
            Assert.InRange(truth.VisibleFraction, 0.7, 0.8);
        }
    }

    [Fact]
    public void Concurrent_renders_match_sequential_ones()
    {
        var indices = Enumerable.Range(100, 8).ToArray();
        var sequential = indices.Select(i =>
        {
            using var s = _renderer.Render(i);
            return Bytes(s.Image);
        }).ToArray();
        var parallel = new byte[indices.Length][];
        Parallel.For(0, indices.Length, k =>
        {
            using var s = _renderer.Render(indices[k]);
            parallel[k] = Bytes(s.Image);
        });
        Assert.Equal(sequential, parallel);
    }

    /// <summary>On the optical axis, tilted under 46°, marker face (+Z) away: the ray to the centre crosses the −Z face.</summary>
    [Theory]
    [InlineData(100)]
    [InlineData(250)]
    public void A_corner_just_below_a_pixel_boundary_renders(double boundary)
    {
        // The near face's left corners project to u = boundary − 1e-6 (identity rotation, near face at z = 0.5 m), which
        // a float hull would round up to the boundary: the object's region must still contain every face's region.
        var halfX = TargetObject.DefaultBox.Size.X / 2;
        var halfZ = TargetObject.DefaultBox.Size.Z / 2;
        var x = halfX + ((boundary - 1e-6 - Camera.Cx) * 0.5 / Camera.Fx);
        var pose = new RigidTransform(Rotation3.Identity, new Vec3(x, 0, 0.5 + halfZ));

        using var scene = _renderer.Render(0, [pose], SceneConditions.Clean);

        var corner = scene.Truth.Objects[0].Keypoints2D[0];
        Assert.True(corner.X < boundary && (float)corner.X == (float)boundary, $"corner u = {corner.X:R} does not exercise the rounding");
    }

    private static RigidTransform MarkerAwayPose(int index)
    {
        var random = new Random(index);
        var tilt = Rotation3.FromAxisAngle(new Vec3(random.NextDouble() - 0.5, random.NextDouble() - 0.5, 0), random.NextDouble() * 0.8);
        var spin = Rotation3.FromAxisAngle(new Vec3(0, 0, 1), random.NextDouble() * 2 * Math.PI);
        return new RigidTransform(tilt * spin, new Vec3(0, 0, 0.35 + (random.NextDouble() * 0.5)));
    }

    private static double Hue(Scalar bgr)
    {
        using var pixel = new Mat(1, 1, MatType.CV_8UC3, bgr);
        using var hsv = new Mat();
        Cv2.CvtColor(pixel, hsv, ColorConversionCodes.BGR2HSV);
        return hsv.At<Vec3b>(0, 0).Item0;
    }

    private static int[] MarkerIds(Mat image)
    {
        using var dictionary = CvAruco.GetPredefinedDictionary(TargetObject.DefaultBox.Marker.Dictionary);
        using var detector = new ArucoDetector(dictionary, new DetectorParameters(), new RefineParameters());
        detector.DetectMarkers(image, out _, out var ids, out _);
        return ids;
    }

    internal static byte[] Bytes(Mat image)
    {
        image.GetArray(out Vec3b[] pixels);
        return [.. pixels.SelectMany(p => new[] { p.Item0, p.Item1, p.Item2 })];
    }
}
