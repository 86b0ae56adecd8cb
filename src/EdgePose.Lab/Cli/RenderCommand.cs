using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using EdgePose.Daemon.Cli;
using EdgePose.Daemon.Hosting;
using EdgePose.Core.Configuration;
using EdgePose.Lab.Datasets;
using EdgePose.Core.Objects;
using EdgePose.Simulation.Scene;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose render</c>: a BOP training or test set from the product's own synthetic renderer and the configured workcell objects.
/// Values are parsed here rather than by System.CommandLine so that a bad value exits 2 with one line naming the option.
/// </summary>
internal sealed class RenderCommand
{
    public const int UsageErrorExitCode = 2;

    private readonly HostOptionsBinding _binding;
    private readonly Option<string?> _out = new("--out") { Description = "Dataset root (created if missing): camera.json, models/ and one folder per split." };
    private readonly Option<string?> _split = new("--split") { Description = "Split name; frames go to OUT/SPLIT/000000 (default train)." };
    private readonly Option<string?> _count = new("--count") { Description = "Number of frames, image ids 0 … count−1 (default 1000)." };
    private readonly Option<string?> _seed = new("--seed") { Description = "Frame i of seed s is the same image everywhere (default 1); keep test seeds apart from training seeds." };
    private readonly Option<string?> _trajectory = new("--trajectory") { Description = "random (an independent pose per frame, the default) or scripted (the demo path)." };
    private readonly Option<bool> _force = new("--force") { Description = "Replace the split's scene instead of refusing a non-empty split folder." };
    private readonly ValueFlag[] _sceneFlags;
    private readonly ValueFlag[] _cameraFlags;
    private readonly ValueFlag _width;
    private readonly ValueFlag _height;

    public RenderCommand(HostOptionsBinding binding)
    {
        _binding = binding;
        var defaults = new SyntheticSceneOptions();
        ValueFlag Scene(string name, string property, string description) =>
            new(new Option<string?>(name) { Description = $"{description} (default {typeof(SyntheticSceneOptions).GetProperty(property)!.GetValue(defaults)})." },
                typeof(SyntheticSceneOptions).GetProperty(property)!);
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
        ];
        ValueFlag Camera(string name, string property, string description) =>
            new(new Option<string?>(name) { Description = $"{description} (default: the workcell camera, EdgePose:Workcell:Camera)." }, typeof(CameraOptions).GetProperty(property)!);
        _width = Camera("--width", nameof(CameraOptions.ImageWidth), "Image width; the workcell intrinsics are scaled to it");
        _height = Camera("--height", nameof(CameraOptions.ImageHeight), "Image height; the workcell intrinsics are scaled to it");
        _cameraFlags =
        [
            Camera("--fx", nameof(CameraOptions.Fx), "Focal length x, pixels"),
            Camera("--fy", nameof(CameraOptions.Fy), "Focal length y, pixels"),
            Camera("--cx", nameof(CameraOptions.Cx), "Principal point x, pixels"),
            Camera("--cy", nameof(CameraOptions.Cy), "Principal point y, pixels"),
        ];
    }

    public Command Create()
    {
        var command = new Command("render", "Render a synthetic dataset in BOP format (plus scene_edgepose.json) with the workcell's objects and camera.");
        foreach (var option in new Option[] { _out, _split, _count, _seed, _trajectory, _force }
            .Concat(_sceneFlags.Select(f => f.Option))
            .Concat(new[] { _width, _height }.Concat(_cameraFlags).Select(f => f.Option)))
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
        if (!TryReadRequest(result, out var request, out var problem))
        {
            return UsageError(error, problem);
        }

        var workcell = LoadWorkcell(result);
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

    private bool TryReadRequest(ParseResult result, out RenderRequest request, out string error)
    {
        request = null!;
        var root = result.GetValue(_out);
        if (string.IsNullOrWhiteSpace(root))
        {
            error = "--out: required, the dataset root folder.";
            return false;
        }

        if (!OptionValues.TryReadSplit(result, _split, "train", out var split, out error))
        {
            return false;
        }

        var scene = new SyntheticSceneOptions { Trajectory = TrajectoryKind.Random };
        if (!OptionValues.TryParse(result, _count, typeof(int), new RangeAttribute(1, BopFormat.MaxImagesPerScene), out var count, out error)
            || !OptionValues.TryParse(result, _seed, typeof(int), null, out var seed, out error))
        {
            return false;
        }

        scene.Seed = (int?)seed ?? scene.Seed;
        if (result.GetValue(_trajectory) is { } trajectory)
        {
            if (!Enum.TryParse<TrajectoryKind>(trajectory, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(trajectory, out _))
            {
                error = SettingFailure.Format("--trajectory", trajectory, "must be random or scripted.");
                return false;
            }

            scene.Trajectory = kind;
        }

        foreach (var flag in _sceneFlags)
        {
            if (!flag.TryRead(result, out var value, out error))
            {
                return false;
            }

            if (value is not null)
            {
                flag.Property.SetValue(scene, value);
            }
        }

        foreach (var flag in _cameraFlags.Append(_width).Append(_height))
        {
            if (!flag.TryRead(result, out _, out error))
            {
                return false;
            }
        }

        request = new RenderRequest(root, split, (int?)count ?? 1000, result.GetValue(_force), scene);
        return true;
    }

    /// <summary>The workcell camera, scaled to --width/--height, with --fx … --cy replacing single values. BOP has no distortion model, so none is rendered.</summary>
    private CameraIntrinsics CameraFor(ParseResult result, CameraIntrinsics configured)
    {
        double? Value(ValueFlag flag) => flag.TryRead(result, out var value, out _) ? (double?)value : null;
        var width = (int?)(_width.TryRead(result, out var w, out _) ? w : null) ?? configured.Width;
        var height = (int?)(_height.TryRead(result, out var h, out _) ? h : null) ?? configured.Height;
        var scaled = configured.ScaledTo(width, height);
        return scaled with
        {
            Fx = Value(_cameraFlags[0]) ?? scaled.Fx,
            Fy = Value(_cameraFlags[1]) ?? scaled.Fy,
            Cx = Value(_cameraFlags[2]) ?? scaled.Cx,
            Cy = Value(_cameraFlags[3]) ?? scaled.Cy,
            Distortion = [],
        };
    }

    /// <summary>The workcell as the daemon would see it: appsettings, --config, environment, --set, validated the same way.</summary>
    private Workcell LoadWorkcell(ParseResult result)
    {
        using var configuration = new ConfigurationManager();
        DaemonConfiguration.Apply(configuration, _binding.ConfigFileValue(result), _binding.Flags(result));
        using var services = new ServiceCollection().AddWorkcell(configuration).BuildServiceProvider();
        return services.GetRequiredService<Workcell>();
    }

    private static int UsageError(TextWriter error, string message)
    {
        error.WriteLine($"edgepose render: {message}");
        return UsageErrorExitCode;
    }

    /// <summary>A numeric flag for one options property: its type and its [Range] are the property's, so the rules stay in one place.</summary>
    private sealed record ValueFlag(Option<string?> Option, PropertyInfo Property)
    {
        public bool TryRead(ParseResult result, out object? value, out string error) =>
            OptionValues.TryParse(result, Option, Property.PropertyType, Property.GetCustomAttribute<RangeAttribute>(), out value, out error);
    }

    private sealed record RenderRequest(string Root, string Split, int Count, bool Force, SyntheticSceneOptions Scene);
}
