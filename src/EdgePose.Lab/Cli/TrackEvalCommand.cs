using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using EdgePose.Core.Datasets;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Daemon.Cli;
using EdgePose.Lab.Datasets;
using EdgePose.Lab.Evaluation;
using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Tracking;
using EdgePose.Simulation.Scene;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab track-eval</c>: runs the daemon's estimator (its configured policy) frame by frame over a rendered
/// sequence (<c>render --trajectory scripted</c>) through the tracker, and compares the raw and the filtered poses with the
/// ground truth: grasp-ready rate, jitter, wrong poses that get through, lag. Exit codes: 0 done, 2 bad option or dataset,
/// 78 bad configuration.
/// </summary>
internal sealed class TrackEvalCommand
{
    private readonly HostOptionsBinding _binding;
    private readonly Option<string?> _data = new("--data") { Description = "BOP dataset root holding a rendered sequence (render --trajectory scripted)." };
    private readonly Option<string> _split = TypedOptions.Split("sequence", "Split holding the sequence, frames in capture order");
    private readonly Option<double?> _fps = TypedOptions.Number<double>(
        "--fps", $"Frame rate the sequence was rendered at (default {new SyntheticSceneOptions().FramesPerSecond}, render's default).", new RangeAttribute(0.1, 1000));

    private readonly Option<double?> _inject = TypedOptions.Number<double>(
        "--inject-outliers", "Share of found raw poses replaced by a gross error (a half-turn flip in place or a 3-10 cm jump) before the tracker sees them (default 0).",
        new RangeAttribute(0.0, 0.5));

    private readonly Option<int?> _seed = TypedOptions.Number<int>("--seed", "Seed of the injected errors (default 1).");

    public TrackEvalCommand(HostOptionsBinding binding) => _binding = binding;

    public Command Create() => LabCommandLine.Configured(
        "track-eval",
        "Evaluate the pose tracker on a rendered sequence: grasp-ready rate, jitter, wrong poses let through and lag, raw against filtered.",
        _binding,
        [_data, _split, _fps, _inject, _seed],
        RunAsync);

    private async Task<int> RunAsync(ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var data = result.GetValue(_data);
        if (LabCommandLine.IsMissingDataRoot(data, out var dataProblem))
        {
            return UsageError(error, dataProblem);
        }

        var split = result.GetValue(_split)!;
        var fps = result.GetValue(_fps) ?? new SyntheticSceneOptions().FramesPerSecond;
        BopDataset dataset;
        try
        {
            dataset = BopDatasetReader.Read(data, split);
        }
        catch (BopDatasetException ex)
        {
            return UsageError(error, ex.Message);
        }

        using var configuration = EvalCommand.BatchConfiguration(_binding, result);
        await using var runtime = EvalCommand.BuildRuntime(configuration);
        var workcell = runtime.GetRequiredService<Workcell>();
        var estimator = runtime.GetRequiredService<IPoseEstimator>();
        if (await EvalCommand.ModelProblemAsync(runtime, cancellationToken) is { } modelProblem && estimator.Policy != FallbackPolicy.BaselineOnly)
        {
            error.WriteLine($"edgepose-lab track-eval: warning: the baseline answers alone: {modelProblem}");
        }

        DatasetEvaluation evaluation;
        try
        {
            evaluation = new DatasetEvaluation(dataset, data, workcell);
        }
        catch (BopDatasetException ex)
        {
            return UsageError(error, ex.Message);
        }

        var tracked = new TrackedEstimators(
            EvalCommand.PolicyEstimator, Core.Configuration.Choice.NameOf(estimator.Policy), estimator, runtime.GetRequiredService<IPoseTracker>(), workcell, fps,
            result.GetValue(_inject) ?? 0, result.GetValue(_seed) ?? 1);
        output.WriteLine(FormattableString.Invariant($"tracking {dataset.Frames.Count} frames of {BopFormat.ScenePath(data, split)} at {fps:0.##} fps, policy {tracked.Raw.Description}"));
        var outcomes = await new ProgressReporter(dataset.Frames.Count, output).RunAsync(done => evaluation.RunAsync([tracked.Raw, tracked.Filtered], done, cancellationToken));

        var objectIds = workcell.Objects.ToDictionary(o => o.DatasetId, o => o.Id);
        var figures = TrackingFigures.Of(
            outcomes[0], outcomes[1], s => tracked.Verdicts.GetValueOrDefault((s.ImageId, objectIds[s.DatasetObjectId])), EvaluationRequirements.Default, fps);
        Write(figures, tracked.Injected, output);
        return 0;
    }

    private static void Write(TrackingFigures figures, int injected, TextWriter output)
    {
        static string Value(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "–";
        output.WriteLine($"| {figures.Samples} poses | grasp-ready | wrong poses | jitter position (mm) | jitter angle (°) | lag position (ms) | lag rotation (ms) |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var s in new[] { figures.Raw, figures.Filtered })
        {
            output.WriteLine(
                $"| {s.Name} | {Value(100 * s.GraspReadyRate, "0.0")}% | {s.Wrong} | {Value(s.JitterMillimetres, "0.00")} | {Value(s.JitterDegrees, "0.00")} | " +
                $"{Value(s.LagMilliseconds, "0.0")} | {Value(s.RotationLagMilliseconds, "0.0")} |");
        }

        output.WriteLine(
            $"wrong raw poses: {figures.WrongRaw}{(injected > 0 ? $" ({injected} injected)" : "")}; taken in by the filter: {figures.WrongRawTaken}; still wrong in the filtered output: {figures.WrongRawServed}");
        output.WriteLine(
            $"frames without a raw pose, served by the filter's prediction: {figures.Coasted}; grasp-ready: {figures.CoastedGraspReady}; wrong: {figures.CoastedWrong}");
        output.WriteLine($"raw pose verdicts: {string.Join(", ", Enum.GetValues<RawPoseVerdict>().Where(figures.Verdicts.ContainsKey).Select(v => $"{v.ToString().ToLowerInvariant()} {figures.Verdicts[v]}"))}");
    }

    private static int UsageError(TextWriter error, string message) => LabCommandLine.UsageError(error, "track-eval", message);
}
