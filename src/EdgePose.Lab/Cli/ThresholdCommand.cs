using System.CommandLine;
using System.CommandLine.Parsing;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgePose.Core.Configuration;
using EdgePose.Core.Datasets;
using EdgePose.Core.Objects;
using EdgePose.Daemon.Cli;
using EdgePose.Lab.Datasets;
using EdgePose.Lab.Evaluation;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab threshold</c>: chooses the model's confidence threshold on validation splits by the rule the model card
/// states (<see cref="ThresholdSelection"/>), running the configured model at threshold 0 and the baseline once per frame,
/// and writes threshold.md/json with the policy's and the model's grasp-ready and wrong-pose rates at every candidate.
/// Exit codes: 0 chosen, 2 bad option or dataset (nothing written), 3 no threshold meets the rule, 78 bad configuration.
/// </summary>
internal sealed class ThresholdCommand
{
    public const int NoThresholdExitCode = 3;
    public const string MarkdownFile = "threshold.md";
    public const string JsonFile = "threshold.json";

    private const string InferenceThresholdKey = "EdgePose:Inference:ConfidenceThreshold";

    /// <summary>Rows either side of the chosen threshold in threshold.md (threshold.json has them all).</summary>
    private const int RowsAround = 5;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly HostOptionsBinding _binding;
    private readonly Option<string?> _data = new("--data") { Description = "BOP dataset root (camera.json, models/, SPLIT/000000/…)." };
    private readonly Option<string[]?> _splits = new("--splits")
    {
        Description = "Comma-separated validation splits, pooled: never a split the model is judged on afterwards.",
        CustomParser = ParseSplits,
    };

    private readonly Option<string?> _out = new("--out") { Description = $"Output folder for {MarkdownFile} and {JsonFile}." };
    private readonly Option<double?> _maxWrong = TypedOptions.Number<double>(
        "--max-wrong", "Share of frames on which a served pose may miss the position or angle tolerance (default 0.02, issue #10's limit).", new RangeAttribute(0.0, 1.0));

    private readonly Option<int?> _heldOutFrames = TypedOptions.Number<int>(
        "--held-out-frames",
        "Frames of each split the threshold must then hold on: the validation rate must stay one standard error of a rate on that many frames below --max-wrong (default 1000; 0: no margin).",
        new RangeAttribute(0, 10_000_000));

    public ThresholdCommand(HostOptionsBinding binding) => _binding = binding;

    public Command Create() => LabCommandLine.Configured(
        "threshold",
        "Choose the model's confidence threshold on validation splits: the lowest at which the fallback policy and the model alone serve few enough wrong poses.",
        _binding,
        [_data, _splits, _out, _maxWrong, _heldOutFrames],
        RunAsync);

    private async Task<int> RunAsync(ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var data = result.GetValue(_data);
        var outFolder = result.GetValue(_out);
        var splits = result.GetValue(_splits);
        if (string.IsNullOrWhiteSpace(data) || !Directory.Exists(data))
        {
            return UsageError(error, data is null ? "--data: required, the BOP dataset root." : $"--data = '{data}': no such folder.");
        }

        if (splits is null)
        {
            return UsageError(error, "--splits: required, the validation splits to choose on, e.g. val,tune.");
        }

        if (string.IsNullOrWhiteSpace(outFolder))
        {
            return UsageError(error, "--out: required, the output folder.");
        }

        var datasets = new List<(string Split, BopDataset Dataset)>();
        foreach (var split in splits)
        {
            try
            {
                datasets.Add((split, BopDatasetReader.Read(data, split)));
            }
            catch (BopDatasetException ex)
            {
                return UsageError(error, ex.Message);
            }
        }

        using var configuration = EvalCommand.BatchConfiguration(_binding, result);
        // Threshold 0: the model alone then reports every pose it finds, with its confidence, and the rule sees them all.
        await using var runtime = EvalCommand.BuildRuntime(configuration, new Dictionary<string, string?> { [InferenceThresholdKey] = "0" });
        if (await EvalCommand.ModelProblemAsync(runtime, cancellationToken) is { } modelProblem)
        {
            return UsageError(error, modelProblem);
        }

        var workcell = runtime.GetRequiredService<Workcell>();
        IEvaluatedEstimator[] estimators =
        [
            EvalCommand.InProcess(EvalCommand.ModelEstimator, FallbackPolicy.ModelOnly, runtime, workcell),
            EvalCommand.InProcess(EvalCommand.BaselineEstimator, FallbackPolicy.BaselineOnly, runtime, workcell),
        ];

        var samples = new List<(string Split, IReadOnlyList<ThresholdSample> Samples)>();
        foreach (var (split, dataset) in datasets)
        {
            DatasetEvaluation evaluation;
            try
            {
                evaluation = new DatasetEvaluation(dataset, data, workcell);
            }
            catch (BopDatasetException ex)
            {
                return UsageError(error, ex.Message);
            }

            output.WriteLine($"evaluating model (threshold 0) and baseline on {dataset.Frames.Count} frames of {BopFormat.ScenePath(data, split)}");
            IReadOnlyList<IReadOnlyList<SampleOutcome>> outcomes;
            try
            {
                outcomes = await new ProgressReporter(dataset.Frames.Count, output).RunAsync(done => evaluation.RunAsync(estimators, done, cancellationToken));
            }
            catch (BopDatasetException ex)
            {
                return UsageError(error, ex.Message);
            }

            samples.Add((split, [.. outcomes[0].Zip(outcomes[1], (model, baseline) => new ThresholdSample(model, baseline))]));
        }

        var maxWrong = result.GetValue(_maxWrong) ?? 0.02;
        var choice = ThresholdSelection.Choose(samples, EvaluationRequirements.Default, maxWrong, result.GetValue(_heldOutFrames) ?? 1000);
        var model = runtime.GetRequiredService<IModelHost>().Current!.Info;
        Directory.CreateDirectory(outFolder);
        await File.WriteAllTextAsync(Path.Combine(outFolder, JsonFile), JsonSerializer.Serialize(new { model = model.Path, model_version = model.Version, choice }, Json), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outFolder, MarkdownFile), Markdown(choice, model.Path), cancellationToken);

        if (choice.Chosen is not { } chosen)
        {
            error.WriteLine(FormattableString.Invariant(
                $"edgepose-lab threshold: no threshold up to 1.00 keeps the wrong-pose rate at or below {100 * choice.WrongRateLimit:0.00}% on {string.Join(", ", choice.Splits)}; see {Path.Combine(outFolder, MarkdownFile)}."));
            return NoThresholdExitCode;
        }

        output.WriteLine(FormattableString.Invariant(
            $"threshold {ThresholdSelection.Format(chosen.Threshold)}: policy grasp-ready {100 * chosen.Pooled.PolicyReadyRate:0.0}%, wrong {100 * chosen.Pooled.PolicyWrongRate:0.0}%; model alone {100 * chosen.Pooled.ModelReadyRate:0.0}%, wrong {100 * chosen.Pooled.ModelWrongRate:0.0}% ({chosen.Pooled.Frames} frames of {string.Join(", ", choice.Splits)}; limit {100 * choice.WrongRateLimit:0.00}%)"));
        output.WriteLine($"set {InferenceThresholdKey}={ThresholdSelection.Format(chosen.Threshold)}; report: {Path.Combine(outFolder, MarkdownFile)}");
        return 0;
    }

    private static string Markdown(ThresholdChoice choice, string modelPath)
    {
        static string Cell(double ready, double wrong) => FormattableString.Invariant($"{100 * ready:0.0}% / {100 * wrong:0.0}%");
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"# Confidence threshold for {modelPath}").AppendLine();
        text.AppendLine(invariant, $"Rule: the lowest threshold at which neither the fallback policy nor the model alone serves a pose missing 1 cm or 5° on more than {100 * choice.WrongRateLimit:0.00}% of the frames of {string.Join(", ", choice.Splits)} pooled ")
            .AppendLine(invariant, $"({100 * choice.MaxWrongRate:0.##}%{(choice.HeldOutFrames == 0 ? "" : $" less one standard error of a rate on {choice.HeldOutFrames} frames")}). ")
            .AppendLine("The policy's figures combine the model's poses at the threshold with the baseline's answers, its time added to the model's, as the policy serves them.")
            .AppendLine();
        text.AppendLine(choice.Threshold is { } t ? $"**Chosen: {ThresholdSelection.Format(t)}**" : "**No threshold meets the rule.**").AppendLine();
        text.Append("| threshold |");
        foreach (var split in choice.Splits)
        {
            text.Append(invariant, $" `{split}`: model ready / wrong | `{split}`: policy |");
        }

        text.AppendLine(" pooled: model | pooled: policy |");
        text.AppendLine("|---:|" + string.Concat(Enumerable.Repeat("---:|---:|", choice.Splits.Count + 1)));
        var centre = choice.Threshold is { } chosen ? (int)Math.Round(chosen * ThresholdSelection.Steps) : -1;
        foreach (var (row, step) in choice.Rows.Select((r, i) => (r, i)))
        {
            if (centre >= 0 && Math.Abs(step - centre) > RowsAround)
            {
                continue;
            }

            var bold = step == centre ? "**" : "";
            text.Append(invariant, $"| {bold}{ThresholdSelection.Format(row.Threshold)}{bold} |");
            foreach (var counts in row.Splits.Append(row.Pooled))
            {
                text.Append(invariant, $" {Cell(counts.ModelReadyRate, counts.ModelWrongRate)} | {Cell(counts.PolicyReadyRate, counts.PolicyWrongRate)} |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static string[]? ParseSplits(ArgumentResult argument)
    {
        var text = argument.Tokens[^1].Value;
        var splits = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (splits.Length > 0 && splits.Distinct().Count() == splits.Length
            && splits.All(s => s is not ("." or "..") && s.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) < 0))
        {
            return splits;
        }

        argument.AddError(SettingFailure.Format("--splits", text, "must list plain folder names under --data, each once, e.g. val,tune."));
        return null;
    }

    private static int UsageError(TextWriter error, string message) => LabCommandLine.UsageError(error, "threshold", message);
}
