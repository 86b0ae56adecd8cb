using EdgePose.Core.Datasets;
using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Numerics;
using System.Reflection;
using EdgePose.Daemon.Cli;
using EdgePose.Lab.Datasets;
using EdgePose.Core.Objects;
using EdgePose.Simulation.Scene;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab render</c>: a BOP training or test set from the product's own synthetic renderer and the configured
/// workcell objects. Options are typed; a bad value is a parse error that names the option (exit 2).
/// </summary>
internal sealed class RenderCommand
{
    public const int UsageErrorExitCode = LabCommandLine.UsageErrorExitCode;

    private readonly HostOptionsBinding _binding;
    private readonly Option<string?> _out = new("--out") { Description = "Dataset root (created if missing): camera.json, models/ and one folder per split." };
    private readonly Option<string> _split = TypedOptions.Split("train", "Split name; frames go to OUT/SPLIT/000000");
    private readonly Option<int?> _count = TypedOptions.Number<int>(
        "--count", "Number of frames, image ids 0 … count−1 (default 1000).", new RangeAttribute(1, BopFormat.MaxImagesPerScene));
    private readonly Option<int?> _seed = TypedOptions.Number<int>("--seed", "Frame i of seed s is the same image everywhere (default 1); keep test seeds apart from training seeds.");
    private readonly Option<TrajectoryKind?> _trajectory = TypedOptions.Choice<TrajectoryKind>(
        "--trajectory", "random (an independent pose per frame, the default) or scripted (the demo path).");
    private readonly Option<bool> _force = new("--force") { Description = "Replace the split's scene instead of refusing a non-empty split folder." };
    private readonly PropertyFlag[] _sceneFlags;
    private readonly PropertyFlag _width;
    private readonly PropertyFlag _height;
    private readonly PropertyFlag _fx;
    private readonly PropertyFlag _fy;
    private readonly PropertyFlag _cx;
    private readonly PropertyFlag _cy;

    public RenderCommand(HostOptionsBinding binding)
    {
        _binding = binding;
        var defaults = new SyntheticSceneOptions();
        PropertyFlag Scene(string name, string property, string description)
        {
            var info = typeof(SyntheticSceneOptions).GetProperty(property)!;
            return PropertyFlag.For(name, info, $"{description} (default {info.GetValue(defaults)}).");
        }

        _sceneFlags =
        [
            Scene("--min-distance", nameof(SyntheticSceneOptions.MinDistanceMeters), "Nearest object distance, metres"),
            Scene("--max-distance", nameof(SyntheticSceneOptions.MaxDistanceMeters), "Farthest object distance, metres"),
            Scene("--occlusion-probability", nameof(SyntheticSceneOptions.OcclusionProbability), "Share of frames with an occluder over each object"),
            Scene("--max-occlusion", nameof(SyntheticSceneOptions.MaxOcclusionFraction), "Largest occluded share of a silhouette"),
            Scene("--blur-probability", nameof(SyntheticSceneOptions.BlurProbability), "Share of blurred frames"),
            Scene("--max-blur", nameof(SyntheticSceneOptions.MaxBlurSigmaPx), "Largest Gaussian blur sigma, pixels"),
            Scene("--min-brightness", nameof(SyntheticSceneOptions.MinBrightness), "Lowest brightness gain"),
            Scene("--max-brightness", nameof(SyntheticSceneOptions.MaxBrightness), "Highest brightness gain"),
            Scene("--marker-hidden-probability", nameof(SyntheticSceneOptions.MarkerHiddenProbability), "Share of frames with the marker covered or not printed"),
            Scene("--clutter", nameof(SyntheticSceneOptions.ClutterShapes), "Background clutter shapes per frame"),
            Scene("--noise", nameof(SyntheticSceneOptions.NoiseSigma), "Gaussian pixel noise sigma, 0-255 scale"),
            Scene("--fps", nameof(SyntheticSceneOptions.FramesPerSecond), "Frame rate of the scripted trajectory, frames per second"),
        ];
        PropertyFlag Camera(string name, string property, string description) =>
            PropertyFlag.For(name, typeof(CameraOptions).GetProperty(property)!, $"{description} (default: the workcell camera, EdgePose:Workcell:Camera).");
        _width = Camera("--width", nameof(CameraOptions.ImageWidth), "Image width; the workcell intrinsics are scaled to it");
        _height = Camera("--height", nameof(CameraOptions.ImageHeight), "Image height; the workcell intrinsics are scaled to it");
        _fx = Camera("--fx", nameof(CameraOptions.Fx), "Focal length x, pixels");
        _fy = Camera("--fy", nameof(CameraOptions.Fy), "Focal length y, pixels");
        _cx = Camera("--cx", nameof(CameraOptions.Cx), "Principal point x, pixels");
        _cy = Camera("--cy", nameof(CameraOptions.Cy), "Principal point y, pixels");
    }

    public Command Create()
    {
        var command = new Command("render", "Render a synthetic dataset in BOP format (plus scene_edgepose.json) with the workcell's objects and camera.");
        foreach (var option in new Option[] { _out, _split, _count, _seed, _trajectory, _force }
            .Concat(_sceneFlags.Concat([_width, _height, _fx, _fy, _cx, _cy]).Select(f => f.Option)))
        {
            command.Options.Add(option);
        }

        _binding.AddTo(command);
        // The invocation's writers (the console unless a caller redirects them) carry progress and usage errors.
        command.SetAction((result, ct) => Task.FromResult(EdgePoseCommandLine.Guarded(() => Run(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, ct))));
        return command;
    }

    private int Run(ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var root = result.GetValue(_out);
        if (string.IsNullOrWhiteSpace(root))
        {
            return UsageError(error, "--out: required, the dataset root folder.");
        }

        var request = new RenderRequest(root, result.GetValue(_split)!, result.GetValue(_count) ?? 1000, result.GetValue(_force), SceneFor(result));
        var workcell = LabCommandLine.LoadWorkcell(_binding, result);
        var camera = CameraFor(result, workcell.Camera);
        using var renderer = new SyntheticSceneRenderer(request.Scene, camera, workcell.Objects);
        BopDatasetWriter writer;
        try
        {
            writer = new BopDatasetWriter(request.Root, request.Split, camera, workcell.Objects, request.Count, request.Force);
        }
        catch (DatasetExistsException ex)
        {
            return UsageError(error, ex.Message);
        }

        output.WriteLine($"rendering {request.Count} frames {camera.Width}x{camera.Height} seed {request.Scene.Seed} to {writer.ScenePath}");
        var progress = new ProgressReporter(request.Count, output);
        Parallel.For(
            0,
            request.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            index =>
            {
                using var scene = renderer.Render(index);
                writer.Write(scene);
                progress.FrameDone();
            });
        writer.Complete();
        progress.Finish();
        var seconds = progress.Elapsed.TotalSeconds;
        output.WriteLine(FormattableString.Invariant($"wrote {request.Count} frames to {writer.ScenePath} in {seconds:0.0} s ({request.Count / seconds:0.0} frames/s)"));
        return 0;
    }

    /// <summary>Random poses unless --trajectory says otherwise; the scene flags replace single defaults.</summary>
    private SyntheticSceneOptions SceneFor(ParseResult result)
    {
        var scene = new SyntheticSceneOptions { Trajectory = result.GetValue(_trajectory) ?? TrajectoryKind.Random };
        if (result.GetValue(_seed) is { } seed)
        {
            scene.Seed = seed;
        }

        foreach (var flag in _sceneFlags)
        {
            if (flag.Read(result) is { } value)
            {
                flag.Property.SetValue(scene, value);
            }
        }

        return scene;
    }

    /// <summary>The workcell camera, scaled to --width/--height, with --fx … --cy replacing single values. BOP has no distortion model, so none is rendered.</summary>
    private CameraIntrinsics CameraFor(ParseResult result, CameraIntrinsics configured)
    {
        var scaled = configured.ScaledTo((int?)_width.Read(result) ?? configured.Width, (int?)_height.Read(result) ?? configured.Height);
        return scaled with
        {
            Fx = (double?)_fx.Read(result) ?? scaled.Fx,
            Fy = (double?)_fy.Read(result) ?? scaled.Fy,
            Cx = (double?)_cx.Read(result) ?? scaled.Cx,
            Cy = (double?)_cy.Read(result) ?? scaled.Cy,
            Distortion = [],
        };
    }

    private static int UsageError(TextWriter error, string message) => LabCommandLine.UsageError(error, "render", message);

    /// <summary>A numeric flag for one options property: its type and its [Range] are the property's, so the rules stay in one place.</summary>
    private sealed record PropertyFlag(Option Option, PropertyInfo Property, Func<ParseResult, object?> Read)
    {
        public static PropertyFlag For(string name, PropertyInfo property, string description) =>
            property.PropertyType == typeof(int) ? Typed<int>(name, property, description) : Typed<double>(name, property, description);

        private static PropertyFlag Typed<T>(string name, PropertyInfo property, string description)
            where T : struct, INumber<T>
        {
            var option = TypedOptions.Number<T>(name, description, property.GetCustomAttribute<RangeAttribute>());
            return new PropertyFlag(option, property, result => result.GetValue(option));
        }
    }

    private sealed record RenderRequest(string Root, string Split, int Count, bool Force, SyntheticSceneOptions Scene);
}
