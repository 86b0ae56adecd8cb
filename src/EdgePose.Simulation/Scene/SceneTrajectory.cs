using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;

namespace EdgePose.Simulation.Scene;

/// <summary>Where the objects are and how the frame looks, as a pure function of (options, index).</summary>
internal sealed class SceneTrajectory(SyntheticSceneOptions options, CameraIntrinsics camera, ImmutableArray<TargetObject> objects)
{
    /// <summary>Every scripted motion's period divides this, so the demo path loops seamlessly.</summary>
    public const double LoopSeconds = 30;

    public const double EdgeMarginPx = 3;

    private const int MaxPlacementAttempts = 64;

    public (RigidTransform[] Poses, SceneConditions Conditions) At(long index)
    {
        var random = FrameRandom.Create(options.Seed, index, FrameRandom.TrajectoryStream);
        var poses = new RigidTransform[objects.Length];
        for (var i = 0; i < poses.Length; i++)
        {
            poses[i] = options.Trajectory == TrajectoryKind.Random ? RandomPose(random, objects[i]) : ScriptedPose(index, i, objects[i]);
        }

        return (poses, DrawConditions(random));
    }

    private RigidTransform ScriptedPose(long index, int objectIndex, TargetObject obj)
    {
        var seconds = (index / options.FramesPerSecond) + (objectIndex * LoopSeconds / objects.Length);
        var phase = 2 * Math.PI * (seconds % LoopSeconds) / LoopSeconds;
        var (near, far) = DistanceRange();
        var z = (near + far) / 2 - ((far - near) / 2 * Math.Cos(phase));

        // Keep the bounding sphere inside the image at its nearest depth, so the box never leaves the view.
        var radius = obj.Diameter / 2;
        var maxX = Math.Max(0, ((z - radius) * (Math.Min(camera.Cx, camera.Width - camera.Cx) - EdgeMarginPx) / camera.Fx) - radius);
        var maxY = Math.Max(0, ((z - radius) * (Math.Min(camera.Cy, camera.Height - camera.Cy) - EdgeMarginPx) / camera.Fy) - radius);
        var direction = new Vec3(0.6 * maxX * Math.Sin(2 * phase), 0.6 * maxY * Math.Sin((3 * phase) + 0.5), z).Normalized();

        // Marker face towards the camera, spinning about the optical axis and tilting far enough to show the other faces.
        var rotation = Rotation3.FromAxisAngle(new Vec3(0, 0, 1), 2 * phase)
            * Rotation3.FromAxisAngle(new Vec3(1, 0, 0), 1.2 * Math.Sin(3 * phase))
            * Rotation3.FromAxisAngle(new Vec3(0, 1, 0), 0.6 * Math.Sin(5 * phase))
            * Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI);
        return new RigidTransform(rotation, direction * z);
    }

    private RigidTransform RandomPose(Random random, TargetObject obj)
    {
        var (near, far) = DistanceRange();
        var rotation = random.UniformRotation();
        var distance = random.Uniform(near, far);
        for (var attempt = 0; attempt < MaxPlacementAttempts; attempt++)
        {
            // Aim anywhere first, then ever closer to the centre: large boxes near the camera only fit there.
            var spread = Math.Pow(0.9, attempt);
            var u = camera.Cx + (random.Uniform(-1, 1) * spread * camera.Width / 2);
            var v = camera.Cy + (random.Uniform(-1, 1) * spread * camera.Height / 2);
            var ray = new Vec3((u - camera.Cx) / camera.Fx, (v - camera.Cy) / camera.Fy, 1).Normalized();
            var pose = new RigidTransform(rotation, ray * distance);
            if (SceneProjection.AllInside(SceneProjection.Project(camera, pose, obj.Corners), camera.Width, camera.Height, EdgeMarginPx))
            {
                return pose;
            }
        }

        return new RigidTransform(rotation, new Vec3(0, 0, distance));
    }

    private (double Near, double Far) DistanceRange() =>
        (Math.Min(options.MinDistanceMeters, options.MaxDistanceMeters), Math.Max(options.MinDistanceMeters, options.MaxDistanceMeters));

    private SceneConditions DrawConditions(Random random)
    {
        var blurred = random.NextDouble() < options.BlurProbability;
        var blur = random.Uniform(0, options.MaxBlurSigmaPx);
        var brightness = random.Uniform(options.MinBrightness, Math.Max(options.MinBrightness, options.MaxBrightness));
        var occluded = random.NextDouble() < options.OcclusionProbability;
        var occlusion = random.Uniform(0, options.MaxOcclusionFraction);
        var markerHidden = random.NextDouble() < options.MarkerHiddenProbability;
        return new SceneConditions(blurred ? blur : 0, brightness, options.NoiseSigma, occluded ? occlusion : 0, markerHidden);
    }
}
