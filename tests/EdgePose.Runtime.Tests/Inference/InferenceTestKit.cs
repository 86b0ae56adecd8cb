using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Metrics;
using EdgePose.Core.Objects;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Inference;

/// <summary>The scene, object and plumbing the inference tests share.</summary>
internal static class InferenceTestKit
{
    public static CameraIntrinsics Camera => CameraIntrinsics.Default640x480;

    public static TargetObject Target => TargetObject.DefaultBox;

    public static RigidTransform TruePose { get; } = new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(20, -15, 30)), new Vec3(0.05, -0.02, 0.6));

    public static RigidTransform OtherPose { get; } = new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(-10, 25, 120)), new Vec3(-0.04, 0.03, 0.5));

    /// <summary>A model that sees <paramref name="pose"/> in a 640×480 frame of <see cref="Camera"/>.</summary>
    public static TestModelBuilder ModelSeeing(RigidTransform pose) => new() { Keypoints = NormalisedKeypoints(pose, Camera, 256, 256) };

    /// <summary>
    /// The exact projections of the target's keypoints, in the normalised coordinates of a letterboxed model input
    /// (written out here independently of the runtime's letterbox code, as the oracle).
    /// </summary>
    public static ImmutableArray<float> NormalisedKeypoints(RigidTransform pose, CameraIntrinsics camera, int inputWidth, int inputHeight)
    {
        var scale = Math.Min((double)inputWidth / camera.Width, (double)inputHeight / camera.Height);
        var width = (int)Math.Round(camera.Width * scale);
        var height = (int)Math.Round(camera.Height * scale);
        var padX = (inputWidth - width) / 2;
        var padY = (inputHeight - height) / 2;
        var (sx, sy) = ((double)width / camera.Width, (double)height / camera.Height);

        var pixels = PnpSolver.Project(Target.Keypoints, camera, pose);
        return [.. pixels.SelectMany(p => new[]
        {
            (float)((((p.X + 0.5) * sx) + padX) / inputWidth),
            (float)((((p.Y + 0.5) * sy) + padY) / inputHeight),
        })];
    }

    /// <summary>Any BGR frame: the test models ignore the pixels, the letterbox path does not.</summary>
    public static Mat Frame(int width = 640, int height = 480)
    {
        var image = new Mat(height, width, MatType.CV_8UC3, new Scalar(40, 90, 160));
        Cv2.Rectangle(image, new Rect(width / 4, height / 4, width / 3, height / 3), new Scalar(200, 200, 200), -1);
        return image;
    }

    public static InferenceOptions Options(string? modelPath = null, int warmupRuns = 1) => new()
    {
        ModelPath = modelPath,
        ExecutionProviders = [ExecutionProvider.Cpu],
        IntraOpThreads = 1,
        WarmupRuns = warmupRuns,
        WatchModelFile = false,
        ReloadDebounce = TimeSpan.FromMilliseconds(100),
    };

    public static ModelLoader Loader(InferenceOptions options)
    {
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        return new ModelLoader(new OrtSessionFactory(wrapped, NullLogger<OrtSessionFactory>.Instance), wrapped, TimeProvider.System);
    }

    public static OnnxPoseModel Load(string path, InferenceOptions options)
    {
        var bytes = File.ReadAllBytes(path);
        return Loader(options).Load(path, bytes, ModelLoader.Sha256Of(bytes));
    }

    public static ModelHost Host(InferenceOptions options) => new(
        Loader(options),
        Microsoft.Extensions.Options.Options.Create(options),
        new PoseMetrics(Prometheus.Metrics.NewCustomRegistry()),
        TimeProvider.System,
        NullLogger<ModelHost>.Instance);
}

/// <summary>A scratch folder per test, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("edgepose-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
