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
using EdgePose.Runtime.Baseline;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab threshold</c>: chooses the model's and the baseline's confidence thresholds on validation splits by the
/// rule the model card states (<see cref="ThresholdSelection"/>), running the configured model and baseline once per frame
/// at threshold 0, and writes threshold.md/json with the policy's and the model's grasp-ready and wrong-pose rates.
/// Exit codes: 0 chosen, 2 bad option or dataset (nothing written), 3 no threshold meets the rule, 78 bad configuration.
/// </summary>
internal sealed class ThresholdCommand
{
    public const int NoThresholdExitCode = 3;
    public const string MarkdownFile = "threshold.md";
    public const string JsonFile = "threshold.json";

    private const string ModelThresholdKey = "EdgePose:Inference:ConfidenceThreshold";
    private const string BaselineThresholdKey = "EdgePose:Baseline:ConfidenceThreshold";

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

    private readonly Option<bool> _chooseBaselineThreshold = new("--choose-baseline-threshold")
    {
        Description = $"Choose the baseline's threshold too, for the fallback policy ({BaselineThresholdKey}); by default it stays as configured: it is also the baseline-only mode's, and what the marker-visible slice is compared with.",
    };

    public ThresholdCommand(HostOptionsBinding binding) => _binding = binding;

    public Command Create() => LabCommandLine.Configured(
        "threshold",
        "Choose the model's and the baseline's confidence thresholds on validation splits: the most grasp-ready frames under the fallback policy with few enough wrong poses served.",
        _binding,
        [_data, _splits, _out, _maxWrong, _heldOutFrames, _chooseBaselineThreshold],
        RunAsync);

    private async Task<int> RunAsync(ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var data = result.GetValue(_data);
        var outFolder = result.GetValue(_out);
        var splits = result.GetValue(_splits);
        if (LabCommandLine.IsMissingDataRoot(data, out var dataProblem))
        {
            return UsageError(error, dataProblem);
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
        // Thresholds 0: each estimator alone then reports every pose it finds, with its confidence, and the rule sees them
        // all; a kept baseline threshold is left as configured (what it would not serve is never served).
        var keepBaseline = !result.GetValue(_chooseBaselineThreshold);
        var overrides = new Dictionary<string, string?> { [ModelThresholdKey] = "0" };
        if (!keepBaseline)
        {
            overrides[BaselineThresholdKey] = "0";
        }

        await using var runtime = EvalCommand.BuildRuntime(configuration, overrides);
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

            output.WriteLine($"evaluating model and baseline on {dataset.Frames.Count} frames of {BopFormat.ScenePath(data, split)}");
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

        var choice = ThresholdSelection.Choose(
            samples,
            EvaluationRequirements.Default,
            result.GetValue(_maxWrong) ?? 0.02,
            result.GetValue(_heldOutFrames) ?? 1000,
            keepBaseline ? runtime.GetRequiredService<IOptions<BaselineOptions>>().Value.ConfidenceThreshold : null);
        var model = runtime.GetRequiredService<IModelHost>().Current!.Info;
        Directory.CreateDirectory(outFolder);
        await File.WriteAllTextAsync(Path.Combine(outFolder, JsonFile), JsonSerializer.Serialize(new { model = model.Path, model_version = model.Version, choice }, Json), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outFolder, MarkdownFile), Markdown(choice, model.Path), cancellationToken);

        if (choice.Chosen is not { } chosen)
        {
            error.WriteLine(FormattableString.Invariant(
                $"edgepose-lab threshold: no thresholds keep the wrong-pose rate at or below {100 * choice.WrongRateLimit:0.00}% on {string.Join(", ", choice.Splits)}; see {Path.Combine(outFolder, MarkdownFile)}."));
            return NoThresholdExitCode;
        }

        output.WriteLine(FormattableString.Invariant(
            $"model threshold {ThresholdSelection.Format(chosen.ModelThreshold)}, baseline threshold {ThresholdSelection.Format(chosen.BaselineThreshold)}: policy grasp-ready {100 * chosen.Pooled.PolicyReadyRate:0.0}%, wrong {100 * chosen.Pooled.PolicyWrongRate:0.0}%; model alone {100 * chosen.Pooled.ModelReadyRate:0.0}%, wrong {100 * chosen.Pooled.ModelWrongRate:0.0}% ({chosen.Pooled.Frames} frames of {string.Join(", ", choice.Splits)}; limit {100 * choice.WrongRateLimit:0.00}%)"));
        output.WriteLine($"set {ModelThresholdKey}={ThresholdSelection.Format(chosen.ModelThreshold)} {BaselineThresholdKey}={ThresholdSelection.Format(chosen.BaselineThreshold)}; report: {Path.Combine(outFolder, MarkdownFile)}");
        return 0;
    }

    private static string Markdown(ThresholdChoice choice, string modelPath)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(invariant, $"# Confidence thresholds for {modelPath}").AppendLine();
        text.AppendLine(invariant, $"Rule: the model's and the baseline's thresholds that make the most frames of {string.Join(", ", choice.Splits)} (pooled) grasp-ready under the ")
            .AppendLine(invariant, $"fallback policy while neither the policy nor the model alone serves a pose missing 1 cm or 5° on more than {100 * choice.WrongRateLimit:0.00}% of them ")
            .AppendLine(invariant, $"({100 * choice.MaxWrongRate:0.##}%{(choice.HeldOutFrames == 0 ? "" : $" less one standard error of a rate on {choice.HeldOutFrames} frames")}). ")
            .AppendLine("The policy's figures combine the model's poses, the baseline's where the model's fall short (its time added to the model's), as the policy serves them.")
            .AppendLine();
        if (choice.Chosen is { } chosen)
        {
            text.AppendLine(invariant, $"**Chosen: model {ThresholdSelection.Format(chosen.ModelThreshold)}, baseline {ThresholdSelection.Format(chosen.BaselineThreshold)}**").AppendLine();
        }
        else
        {
            text.AppendLine("**No thresholds meet the rule.**").AppendLine();
        }

        Table(text, choice, "model threshold", choice.ModelRows, r => r.ModelThreshold, choice.Chosen?.ModelThreshold);
        if (choice.BaselineRows.Count > 0)
        {
            Table(text, choice, "baseline threshold", choice.BaselineRows, r => r.BaselineThreshold, choice.Chosen?.BaselineThreshold);
        }

        return text.ToString();
    }

    /// <summary>The rows within <see cref="RowsAround"/> steps of the chosen value, or all of them when none was chosen.</summary>
    private static void Table(StringBuilder text, ThresholdChoice choice, string varied, IReadOnlyList<ThresholdRow> rows, Func<ThresholdRow, double> key, double? chosen)
    {
        static string Cell(double ready, double wrong) => FormattableString.Invariant($"{100 * ready:0.0}% / {100 * wrong:0.0}%");
        var invariant = CultureInfo.InvariantCulture;
        text.Append(invariant, $"| {varied} |");
        foreach (var split in choice.Splits)
        {
            text.Append(invariant, $" `{split}`: model ready / wrong | `{split}`: policy |");
        }

        text.AppendLine(" pooled: model | pooled: policy |");
        text.AppendLine("|---:|" + string.Concat(Enumerable.Repeat("---:|---:|", choice.Splits.Count + 1)));
        foreach (var row in rows.Where(r => chosen is not { } c || Math.Abs(key(r) - c) * ThresholdSelection.Steps <= RowsAround + 0.5))
        {
            var bold = key(row) == chosen ? "**" : "";
            text.Append(invariant, $"| {bold}{ThresholdSelection.Format(key(row))}{bold} |");
            foreach (var counts in row.Splits.Append(row.Pooled))
            {
                text.Append(invariant, $" {Cell(counts.ModelReadyRate, counts.ModelWrongRate)} | {Cell(counts.PolicyReadyRate, counts.PolicyWrongRate)} |");
            }

            text.AppendLine();
        }

        text.AppendLine();
    }

    private static string[]? ParseSplits(ArgumentResult argument)
    {
        var text = argument.Tokens[^1].Value;
        var splits = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (splits.Length > 0 && splits.Distinct().Count() == splits.Length && splits.All(TypedOptions.IsPlainFolderName))
        {
            return splits;
        }

        argument.AddError(SettingFailure.Format("--splits", text, "must list plain folder names under --data, each once, e.g. val,tune."));
        return null;
    }

    private static int UsageError(TextWriter error, string message) => LabCommandLine.UsageError(error, "threshold", message);
}
