using EdgePose.Core.Datasets;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using EdgePose.Daemon.Cli;
using EdgePose.Core.Configuration;
using EdgePose.Daemon.Hosting;
using EdgePose.Lab.Datasets;
using EdgePose.Lab.Evaluation;
using EdgePose.Runtime.Inference;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab eval</c>: scores estimators on a BOP split through the daemon's own estimator (or a running daemon) and
/// writes report.md/json, requirements.json, plots, worst-frame overlays and BOP CSVs. Exit codes: 0 done, 2 bad option
/// or dataset (nothing written), 3 the gate failed, 78 bad configuration, 1 a --via daemon that stops answering.
/// </summary>
internal sealed class EvalCommand
{
    public const int UsageErrorExitCode = LabCommandLine.UsageErrorExitCode;
    public const int GateFailedExitCode = 3;

    public const string ModelEstimator = "model";
    public const string BaselineEstimator = "baseline";
    public const string PolicyEstimator = "policy";
    public const string CompareSuffix = "_compare";

    private static readonly string[] InProcessEstimators = [ModelEstimator, BaselineEstimator, PolicyEstimator];

    private readonly HostOptionsBinding _binding;
    private readonly Option<string?> _data = new("--data") { Description = "BOP dataset root (camera.json, models/, SPLIT/000000/…)." };
    private readonly Option<string> _split = TypedOptions.Split("test", "Split to evaluate");
    private readonly Option<string[]?> _estimators = new("--estimators")
    {
        Description = "Comma-separated: model (model-only), baseline (baseline-only), policy (the configured fallback policy). Default: all three, or none with --via.",
        CustomParser = ParseEstimators,
    };

    private readonly Option<string?> _out = new("--out") { Description = "Output folder for report.md, report.json, requirements.json, plots, worst/ and BOP CSVs." };
    private readonly Option<string?> _requirements = new("--requirements") { Description = "Requirements JSON (default: built in; written to OUT/requirements.json as a template)." };
    private readonly Option<int?> _worst = TypedOptions.Number<int>("--worst", "Worst frames per estimator to list and draw (default 10).", new RangeAttribute(0, 1000));
    private readonly Option<bool> _gate = new("--gate") { Description = $"Exit {GateFailedExitCode} when the gated estimator misses a requirement's minimum pass rate (or, with --compare-to, the other model's grasp-ready rate)." };
    private readonly Option<string?> _gateEstimator = new("--gate-estimator") { Description = "Estimator the gate applies to (default policy)." };
    private readonly Option<string?> _compareTo = new("--compare-to") { Description = $"Another ONNX model, evaluated under the gated estimator's policy as '<estimator>{CompareSuffix}'." };
    private readonly Option<string[]> _compareSet = new("--compare-set")
    {
        Description = "A setting as Key=Value for the --compare-to model only, on top of the others (repeatable): the replaced model as it was deployed, e.g. its own EdgePose:Inference:ConfidenceThreshold.",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<Uri?> _via = new("--via")
    {
        Description = $"host:port of a running daemon: evaluate it through EstimatePose as estimator '{DaemonEstimator.EstimatorName}'.",
        CustomParser = ParseAddress,
    };

    public EvalCommand(HostOptionsBinding binding) => _binding = binding;

    public Command Create() => LabCommandLine.Configured(
        "eval",
        "Evaluate pose estimators on a BOP dataset: accuracy, grasp-ready rate, latency, slices, worst frames; optionally gate a model.",
        _binding,
        [_data, _split, _estimators, _out, _requirements, _worst, _gate, _gateEstimator, _compareTo, _compareSet, _via],
        RunAsync);

    private async Task<int> RunAsync(ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!TryReadRequest(result, out var request, out var problem))
        {
            return UsageError(error, problem);
        }

        BopDataset dataset;
        try
        {
            dataset = BopDatasetReader.Read(request.Data, request.Split);
        }
        catch (BopDatasetException ex)
        {
            return UsageError(error, ex.Message);
        }

        using var configuration = BatchConfiguration(_binding, result);

        var runtimes = new List<ServiceProvider>();
        var disposables = new List<IDisposable>();
        try
        {
            var primary = BuildRuntime(configuration);
            runtimes.Add(primary);
            var workcell = primary.GetRequiredService<Workcell>();
            DatasetEvaluation evaluation;
            try
            {
                evaluation = new DatasetEvaluation(dataset, request.Data, workcell);
            }
            catch (BopDatasetException ex)
            {
                return UsageError(error, ex.Message);
            }

            var estimators = new List<IEvaluatedEstimator>();
            var configuredPolicy = primary.GetRequiredService<IOptions<PipelineOptions>>().Value.FallbackPolicy;
            foreach (var name in request.Estimators)
            {
                var policy = PolicyOf(name, configuredPolicy);
                if (NeedsModel(policy) && await ModelProblemAsync(primary, cancellationToken) is { } modelProblem)
                {
                    if (name == ModelEstimator)
                    {
                        return UsageError(error, $"estimator {name}: {modelProblem}");
                    }

                    error.WriteLine($"edgepose-lab eval: warning: estimator {name} runs with the baseline alone: {modelProblem}");
                }

                estimators.Add(InProcess(name, policy, primary, workcell));
            }

            if (request.CompareTo is { } other)
            {
                var policy = PolicyOf(request.GateEstimator, configuredPolicy);
                var compare = BuildRuntime(configuration, new Dictionary<string, string?>(request.CompareSettings) { ["EdgePose:Inference:ModelPath"] = other });
                runtimes.Add(compare);
                if (await ModelProblemAsync(compare, cancellationToken) is { } compareProblem)
                {
                    return UsageError(error, $"--compare-to: {compareProblem}");
                }

                estimators.Add(InProcess(request.GateEstimator + CompareSuffix, policy, compare, workcell, request.CompareSettings));
            }

            if (request.Via is { } via)
            {
                try
                {
                    var daemon = await DaemonEstimator.ConnectAsync(via, workcell, cancellationToken);
                    disposables.Add(daemon);
                    estimators.Add(daemon);
                }
                catch (RpcException ex)
                {
                    return UsageError(error, $"--via = '{via.Authority}': no daemon answered ({ex.StatusCode}: {ex.Status.Detail}).");
                }
            }

            output.WriteLine($"evaluating {string.Join(", ", estimators.Select(e => e.Name))} on {dataset.Frames.Count} frames of {BopFormat.ScenePath(request.Data, request.Split)}");
            var progress = new ProgressReporter(dataset.Frames.Count, output);
            IReadOnlyList<IReadOnlyList<SampleOutcome>> outcomes;
            try
            {
                outcomes = await progress.RunAsync(done => evaluation.RunAsync(estimators, done, cancellationToken));
            }
            catch (BopDatasetException ex)
            {
                return UsageError(error, ex.Message);
            }
            catch (RpcException ex)
            {
                // Only the --via estimator makes calls; a daemon that stops answering mid-run is not a usage error.
                error.WriteLine($"edgepose-lab eval: --via: the daemon stopped answering ({ex.StatusCode}: {ex.Status.Detail}); nothing written.");
                return 1;
            }

            var report = BuildReport(request, dataset, evaluation, estimators, outcomes, workcell, progress.Elapsed);
            Directory.CreateDirectory(request.Out);
            var plots = EvaluationPlots.Draw(request.Out, report);
            EvaluationReportWriter.Write(request.Out, report, plots);
            return Summarize(request, report, output, error);
        }
        finally
        {
            disposables.ForEach(d => d.Dispose());
            foreach (var runtime in runtimes)
            {
                await runtime.DisposeAsync();
            }
        }
    }

    /// <summary>Summaries, slices and gate for the report; also draws the worst frames' overlays, which the report links.</summary>
    private static EvaluationReport BuildReport(
        EvalRequest request, BopDataset dataset, DatasetEvaluation evaluation, IReadOnlyList<IEvaluatedEstimator> estimators,
        IReadOnlyList<IReadOnlyList<SampleOutcome>> outcomes, Workcell workcell, TimeSpan elapsed)
    {
        var frames = dataset.Frames.ToDictionary(f => f.ImageId);
        var results = estimators.Select((estimator, i) =>
        {
            var samples = outcomes[i];
            var summary = EstimatorSummary.Of(estimator.Name, estimator.Description, samples, request.Requirements);
            var slices = SliceAnalysis.Analyze(samples, request.Requirements.IsGraspReady);
            var worst = EvaluationReport.WorstSamples(samples, request.Worst).Select(sample =>
            {
                var overlay = Path.Combine("worst", estimator.Name, $"{sample.ImageId:D6}_obj{sample.DatasetObjectId:D6}.png");
                var target = workcell.Objects.First(o => o.DatasetId == sample.DatasetObjectId);
                WorstFrameOverlay.Write(Path.Combine(request.Out, overlay), frames[sample.ImageId], target, estimator.Name, sample);
                return new WorstFrame(sample, overlay.Replace('\\', '/'));
            }).ToArray();
            return new EstimatorResult(summary, samples, slices, worst);
        }).ToArray();

        var gated = results.FirstOrDefault(r => r.Summary.Name == request.GateEstimator)?.Summary;
        var compared = results.FirstOrDefault(r => r.Summary.Name == request.GateEstimator + CompareSuffix)?.Summary;
        return new EvaluationReport(
            new DatasetDescription(request.Data, request.Split, dataset.Frames.Count, evaluation.Samples, evaluation.SkippedObjects),
            request.Requirements,
            results,
            gated is null ? null : GateOutcome.Check(gated, compared),
            elapsed.TotalSeconds);
    }

    private static int Summarize(EvalRequest request, EvaluationReport report, TextWriter output, TextWriter error)
    {
        foreach (var s in report.Estimators.Select(e => e.Summary))
        {
            static string Value(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "–";
            output.WriteLine(
                $"{s.Name}: grasp-ready {Value(100 * s.GraspReadyRate, "0.0")}%, found {Value(100 * s.FoundRate, "0.0")}%, " +
                $"position median {Value(s.PositionErrorMeters.Median * 1000, "0.0")} mm, angle median {Value(s.AngleErrorDegrees.Median, "0.00")}°, " +
                $"latency p95 {Value(s.LatencySeconds.P95 * 1000, "0.0")} ms");
        }

        output.WriteLine($"report: {Path.Combine(request.Out, EvaluationReportWriter.MarkdownFile)}");
        if (!request.Gate || report.Gate is not { } gate)
        {
            return 0;
        }

        foreach (var failure in gate.Failures)
        {
            error.WriteLine($"edgepose-lab eval: gate failed: {failure}");
        }

        output.WriteLine($"gate ({gate.Estimator}): {(gate.Passed ? "passed" : "FAILED")}");
        return gate.Passed ? 0 : GateFailedExitCode;
    }

    /// <summary>The daemon's configuration layers and flags, for a batch run.</summary>
    internal static ConfigurationManager BatchConfiguration(HostOptionsBinding binding, ParseResult result)
    {
        var configuration = new ConfigurationManager();
        var flags = binding.Flags(result);
        // A batch run loads the model once; nothing should swap it halfway through the frames.
        flags["EdgePose:Inference:WatchModelFile"] = "false";
        DaemonConfiguration.Apply(configuration, binding.ConfigFileValue(result), flags);
        return configuration;
    }

    /// <summary>
    /// The workcell, baseline, model host and pipeline options as the daemon builds them, on a private metrics registry;
    /// <paramref name="overrides"/> on top of the configuration (another model and its settings).
    /// </summary>
    internal static ServiceProvider BuildRuntime(IConfiguration configuration, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        if (overrides is { Count: > 0 })
        {
            // A copy of the settings, not a chained source: a chained source passes on no setting whose value is empty,
            // and an empty EdgePose:Inference:ModelPath means "no model".
            configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(configuration.AsEnumerable())
                .AddInMemoryCollection(overrides)
                .Build();
        }

        var services = new ServiceCollection();
        // The report says what went wrong (model state, fallback reasons); log lines would only break the progress bar.
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        var provider = services
            .AddPoseEstimation(configuration, Prometheus.Metrics.NewCustomRegistry())
            .BuildServiceProvider();

        // Options are validated on first use: fail here, one line per setting, rather than on the first frame.
        _ = provider.GetRequiredService<Workcell>();
        _ = provider.GetRequiredService<IOptions<PipelineOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<InferenceOptions>>().Value;
        return provider;
    }

    /// <summary>Loads the configured model once (no-op when loaded); null when it serves, otherwise why not.</summary>
    internal static async Task<string?> ModelProblemAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var host = services.GetRequiredService<IModelHost>();
        if (host.Current is null)
        {
            await host.ReloadAsync(cancellationToken);
        }

        var path = services.GetRequiredService<IOptions<InferenceOptions>>().Value.ModelPath;
        return host.Current is not null ? null : $"no model serves (EdgePose:Inference:ModelPath = '{path}', {host.State}: {host.LastError ?? "no model file configured"}).";
    }

    internal static InProcessEstimator InProcess(
        string name, FallbackPolicy policy, IServiceProvider services, Workcell workcell, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var model = NeedsModel(policy) ? services.GetRequiredService<IModelHost>().Current?.Info.Path ?? "none" : null;
        var policyName = Choice.NameOf(policy);
        var described = model is null ? policyName : $"{policyName}, model {model}";
        return new InProcessEstimator(
            name,
            settings is { Count: > 0 } ? $"{described}, {string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}"))}" : described,
            InProcessEstimator.CreateEstimator(services, policy),
            workcell);
    }

    private static FallbackPolicy PolicyOf(string estimator, FallbackPolicy configured) => estimator switch
    {
        ModelEstimator => FallbackPolicy.ModelOnly,
        BaselineEstimator => FallbackPolicy.BaselineOnly,
        _ => configured,
    };

    private static bool NeedsModel(FallbackPolicy policy) => policy != FallbackPolicy.BaselineOnly;

    private bool TryReadRequest(ParseResult result, out EvalRequest request, out string error)
    {
        request = null!;
        var data = result.GetValue(_data);
        var output = result.GetValue(_out);
        if (LabCommandLine.IsMissingDataRoot(data, out error))
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(output))
        {
            error = "--out: required, the output folder.";
            return false;
        }

        var via = result.GetValue(_via);
        var names = result.GetValue(_estimators) ?? (via is null ? InProcessEstimators : []);
        if (names.Length == 0 && via is null)
        {
            error = $"--estimators: none to evaluate; list some of {string.Join(", ", InProcessEstimators)}, or give --via.";
            return false;
        }

        var evaluated = names.Concat(via is null ? [] : [DaemonEstimator.EstimatorName]).ToArray();
        var gateEstimator = result.GetValue(_gateEstimator) ?? PolicyEstimator;
        var compareTo = result.GetValue(_compareTo);
        if ((result.GetValue(_gate) || result.GetValue(_gateEstimator) is not null || compareTo is not null) && !evaluated.Contains(gateEstimator))
        {
            error = $"--gate-estimator = '{gateEstimator}': not evaluated; must be one of {string.Join(", ", evaluated)}.";
            return false;
        }

        if (compareTo is not null && (!File.Exists(compareTo) || gateEstimator is not (ModelEstimator or PolicyEstimator)))
        {
            error = File.Exists(compareTo)
                ? $"--compare-to = '{compareTo}': compares models, so the gated estimator must be {ModelEstimator} or {PolicyEstimator} (got {gateEstimator})."
                : $"--compare-to = '{compareTo}': no such file.";
            return false;
        }

        var compareSettings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var assignment in result.GetValue(_compareSet) ?? [])
        {
            if (compareTo is null)
            {
                error = $"--compare-set = '{assignment}': sets up the --compare-to model; give --compare-to too.";
                return false;
            }

            if (!HostOptionsBinding.TryAssignment(assignment, out var key, out var value))
            {
                error = $"--compare-set = '{assignment}': expected Key=Value, e.g. EdgePose:Inference:ConfidenceThreshold=0.42.";
                return false;
            }

            compareSettings[key] = value;
        }

        var requirements = EvaluationRequirements.Default;
        if (result.GetValue(_requirements) is { } file)
        {
            try
            {
                requirements = EvaluationRequirements.Load(file);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                error = $"--requirements = '{file}': {(ex is InvalidDataException ? ex.Message.Replace(file + ": ", "", StringComparison.Ordinal) : ex.Message)}";
                return false;
            }
        }

        error = "";
        request = new EvalRequest(data, result.GetValue(_split)!, names, output, requirements, result.GetValue(_worst) ?? 10, result.GetValue(_gate), gateEstimator, compareTo, compareSettings, via);
        return true;
    }

    private static string[]? ParseEstimators(ArgumentResult argument)
    {
        var text = argument.Tokens[^1].Value;
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = names.FirstOrDefault(n => !InProcessEstimators.Contains(n));
        if (unknown is null && names.Distinct().Count() == names.Length)
        {
            return names;
        }

        argument.AddError(SettingFailure.Format(
            "--estimators", text, $"must list some of {string.Join(", ", InProcessEstimators)}, each once{(unknown is null ? "" : $" ('{unknown}' is not one)")}."));
        return null;
    }

    private static Uri? ParseAddress(ArgumentResult argument)
    {
        var text = argument.Tokens[^1].Value;
        var colon = text.LastIndexOf(':');
        if (!text.Contains("://", StringComparison.Ordinal) && colon > 0
            && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            && Uri.TryCreate($"http://{text}", UriKind.Absolute, out var uri))
        {
            return uri;
        }

        argument.AddError(SettingFailure.Format("--via", text, "must be host:port of a running daemon, e.g. 127.0.0.1:50051."));
        return null;
    }

    private static int UsageError(TextWriter error, string message) => LabCommandLine.UsageError(error, "eval", message);

    private sealed record EvalRequest(
        string Data, string Split, IReadOnlyList<string> Estimators, string Out, EvaluationRequirements Requirements, int Worst,
        bool Gate, string GateEstimator, string? CompareTo, IReadOnlyDictionary<string, string?> CompareSettings, Uri? Via);
}
