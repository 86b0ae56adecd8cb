using EdgePose.Core.Datasets;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgePose.Lab.Evaluation;

/// <summary>
/// Writes report.json (stable snake_case names, numbers unrounded), report.md (tables for a person), requirements.json
/// and one BOP results CSV per estimator. Plots are drawn by the caller and only linked here.
/// </summary>
public static class EvaluationReportWriter
{
    public const string JsonFile = "report.json";
    public const string MarkdownFile = "report.md";
    public const string RequirementsFile = "requirements.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string outputFolder, EvaluationReport report, IReadOnlyList<string> plots)
    {
        Directory.CreateDirectory(outputFolder);
        File.WriteAllText(Path.Combine(outputFolder, RequirementsFile), report.Requirements.ToJson() + "\n");
        File.WriteAllText(Path.Combine(outputFolder, JsonFile), ToJson(report).ToJsonString(Indented) + "\n");
        File.WriteAllText(Path.Combine(outputFolder, MarkdownFile), ToMarkdown(report, plots));
        foreach (var estimator in report.Estimators)
        {
            File.WriteAllText(Path.Combine(outputFolder, BopCsvFileName(estimator.Summary.Name, report.Dataset)), ToBopCsv(estimator.Samples));
        }
    }

    /// <summary>BOP's METHOD_DATASET-SPLIT.csv; BOP splits the name at '_' and '-', so neither may appear inside METHOD or DATASET.</summary>
    public static string BopCsvFileName(string estimator, DatasetDescription dataset)
    {
        static string Clean(string s) => new([.. s.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);
        var name = Clean(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataset.Root))));
        return $"edgepose{Clean(estimator)}_{(name.Length == 0 ? "dataset" : name)}-{Clean(dataset.Split)}.csv";
    }

    /// <summary>One row per found pose: R row-major and t in millimetres (model → camera), time = the frame's end-to-end seconds.</summary>
    public static string ToBopCsv(IEnumerable<SampleOutcome> samples)
    {
        var csv = new StringBuilder("scene_id,im_id,obj_id,score,R,t,time\n");
        var scene = int.Parse(BopFormat.SceneFolder, CultureInfo.InvariantCulture);
        foreach (var s in samples.Where(s => s.Found))
        {
            var pose = s.Estimate!.Value;
            var r = string.Join(' ', pose.Rotation.ToRowMajor().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            var t = string.Join(' ', pose.Translation.ToArray().Select(v => (v * BopFormat.MillimetresPerMetre).ToString("R", CultureInfo.InvariantCulture)));
            csv.Append(CultureInfo.InvariantCulture, $"{scene},{s.ImageId},{s.DatasetObjectId},{s.Confidence:R},{r},{t},{s.Latency.EndToEnd:R}\n");
        }

        return csv.ToString();
    }

    public static JsonObject ToJson(EvaluationReport report)
    {
        var estimators = new JsonObject();
        var slices = new JsonObject();
        foreach (var (summary, _, sliceResults, worst) in report.Estimators)
        {
            estimators[summary.Name] = new JsonObject
            {
                ["description"] = summary.Description,
                ["frames"] = summary.Frames,
                ["found_rate"] = summary.FoundRate,
                ["grasp_ready_rate"] = summary.GraspReadyRate,
                ["wrong_pose_rate"] = summary.WrongPoseRate,
                ["position_error_m"] = Errors(summary.PositionErrorMeters),
                ["depth_error_m"] = Errors(summary.DepthErrorMeters),
                ["lateral_error_m"] = Errors(summary.LateralErrorMeters),
                ["angle_error_deg"] = Errors(summary.AngleErrorDegrees),
                ["add_m"] = Errors(summary.AddMeters),
                ["add_s_m"] = Errors(summary.AddSMeters),
                ["add_pass_rate"] = summary.AddPassRate,
                ["add_s_pass_rate"] = summary.AddSPassRate,
                ["latency_s"] = Latency(summary.LatencySeconds),
                ["stage_latency_s"] = new JsonObject(summary.StageLatencySeconds.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)Latency(s.Value)))),
                ["requirements"] = new JsonObject(summary.Requirements.Select(r => KeyValuePair.Create(r.Name, (JsonNode?)new JsonObject
                {
                    ["below"] = r.Below,
                    ["min_pass_rate"] = r.MinPassRate,
                    ["pass_rate"] = r.PassRate,
                    ["passed"] = r.Passed,
                }))),
                ["sources"] = Counts(summary.Sources),
                ["fallback_reasons"] = Counts(summary.FallbackReasons),
                ["reliability"] = new JsonArray([.. summary.Reliability.Select(b => (JsonNode?)new JsonObject
                {
                    ["confidence_low"] = b.Low,
                    ["confidence_high"] = b.High,
                    ["frames"] = b.Frames,
                    ["grasp_ready_rate"] = b.GraspReadyRate,
                })]),
                ["worst_frames"] = new JsonArray([.. worst.Select(w => (JsonNode?)new JsonObject
                {
                    ["image_id"] = w.Sample.ImageId,
                    ["obj_id"] = w.Sample.DatasetObjectId,
                    ["found"] = w.Sample.Found,
                    ["source"] = w.Sample.Source,
                    ["fallback_reason"] = w.Sample.FallbackReason,
                    ["position_error_m"] = w.Sample.PositionErrorMeters,
                    ["depth_error_m"] = w.Sample.DepthErrorMeters,
                    ["angle_error_deg"] = w.Sample.AngleErrorDegrees,
                    ["overlay"] = w.OverlayPath,
                })]),
            };
            slices[summary.Name] = new JsonObject(sliceResults.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)new JsonObject
            {
                ["label"] = s.Label,
                ["frames"] = s.Frames,
                ["failures"] = s.Failures,
                ["grasp_ready_rate"] = s.GraspReadyRate,
                ["failure_share"] = s.FailureShare,
                ["excess_failures"] = s.ExcessFailures,
            })));
        }

        return new JsonObject
        {
            ["dataset"] = new JsonObject
            {
                ["root"] = report.Dataset.Root,
                ["split"] = report.Dataset.Split,
                ["frames"] = report.Dataset.Frames,
                ["samples"] = report.Dataset.Samples,
                ["skipped_objects"] = report.Dataset.SkippedObjects,
            },
            ["requirements"] = JsonNode.Parse(report.Requirements.ToJson()),
            ["estimators"] = estimators,
            ["slices"] = slices,
            ["gate"] = report.Gate is { } gate
                ? new JsonObject
                {
                    ["estimator"] = gate.Estimator,
                    ["compared_with"] = gate.ComparedWith,
                    ["passed"] = gate.Passed,
                    ["failures"] = new JsonArray([.. gate.Failures.Select(f => (JsonNode?)f)]),
                }
                : null,
            ["elapsed_s"] = report.ElapsedSeconds,
        };

        static JsonObject Errors(Distribution d) => new() { ["median"] = d.Median, ["p90"] = d.P90, ["max"] = d.Max };
        static JsonObject Latency(Distribution d) => new() { ["p50"] = d.Median, ["p95"] = d.P95, ["p99"] = d.P99, ["max"] = d.Max };
        static JsonObject Counts(IReadOnlyDictionary<string, int> counts) => new(counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value)));
    }

    public static string ToMarkdown(EvaluationReport report, IReadOnlyList<string> plots)
    {
        var md = new StringBuilder();
        void Line(FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));
        var estimators = report.Estimators.Select(e => e.Summary).ToArray();
        string Row(string label, Func<EstimatorSummary, string> cell) => $"| {label} | {string.Join(" | ", estimators.Select(cell))} |";
        void Table(string title, params (string Label, Func<EstimatorSummary, string> Cell)[] rows)
        {
            Line($"## {title}");
            Line($"");
            Line($"{Row("", s => s.Name)}");
            Line($"|---|{string.Concat(estimators.Select(_ => "---:|"))}");
            foreach (var (label, cell) in rows)
            {
                Line($"{Row(label, cell)}");
            }

            Line($"");
        }

        var d = report.Dataset;
        Line($"# EdgePose evaluation");
        Line($"");
        Line($"Dataset `{d.Root}` split `{d.Split}`: {d.Frames} frames, {d.Samples} labelled objects scored{(d.SkippedObjects > 0 ? $", {d.SkippedObjects} of other objects skipped" : "")}; {report.ElapsedSeconds:0.0} s.");
        Line($"Rates are over all frames: a frame without a pose fails every accuracy requirement. Error statistics are over frames with a pose.");
        Line($"");
        Table(
            "Summary",
            [
                ("what", s => s.Description),
                ("**grasp-ready rate**", s => $"**{Percent(s.GraspReadyRate)}**"),
                ("found rate", s => Percent(s.FoundRate)),
                ("wrong pose served (misses position or angle)", s => Percent(s.WrongPoseRate)),
                ("ADD < 10% diameter", s => Percent(s.AddPassRate)),
                ("ADD-S < 10% diameter", s => Percent(s.AddSPassRate)),
                ("latency p50 / p95 / p99 (ms)", s => $"{Ms(s.LatencySeconds.Median)} / {Ms(s.LatencySeconds.P95)} / {Ms(s.LatencySeconds.P99)}"),
            ]);
        Table(
            "Requirements (share of frames passing; minimum for the gate)",
            [.. report.Requirements.All.Select(r => ((string, Func<EstimatorSummary, string>))(
                $"{r.Name}: {r.Description} (min {Percent(r.MinPassRate)})",
                s => s.Requirements.Single(x => x.Name == r.Name) is var x ? $"{Percent(x.PassRate)} {(x.Passed ? "✓" : "✗")}" : ""))]);
        Table(
            "Errors (frames with a pose): median / p90 / max",
            [
                ("position (mm)", s => Triple(s.PositionErrorMeters, 1000)),
                ("position along the line of sight, depth (mm)", s => Triple(s.DepthErrorMeters, 1000)),
                ("position across the line of sight (mm)", s => Triple(s.LateralErrorMeters, 1000)),
                ("angle (°)", s => Triple(s.AngleErrorDegrees, 1)),
                ("ADD (mm)", s => Triple(s.AddMeters, 1000)),
                ("ADD-S (mm)", s => Triple(s.AddSMeters, 1000)),
            ]);
        Table(
            "Latency (ms): p50 / p95 / p99",
            [
                ("end to end", s => LatencyTriple(s.LatencySeconds)),
                .. EstimatorSummary.Stages.Select(stage => ((string, Func<EstimatorSummary, string>))(stage.Name, s => LatencyTriple(s.StageLatencySeconds[stage.Name]))),
            ]);
        Table(
            "Sources and fallback reasons (frames)",
            [
                ("sources", s => string.Join(", ", s.Sources.Select(c => $"{c.Key} {c.Value}"))),
                ("fallback reasons", s => string.Join(", ", s.FallbackReasons.Select(c => $"{c.Key} {c.Value}"))),
            ]);

        Table(
            "Reliability (served poses by confidence: frames, share grasp-ready)",
            [.. Enumerable.Range(0, EstimatorSummary.ReliabilityBins).Select(bin => ((string, Func<EstimatorSummary, string>))(
                $"{estimators[0].Reliability[bin].Low:0.0}–{estimators[0].Reliability[bin].High:0.0}",
                s => s.Reliability[bin] is { Frames: > 0 } b ? $"{b.Frames}: {Percent(b.GraspReadyRate)}" : "–"))]);

        if (report.Gate is { } gate)
        {
            Line($"## Gate ({gate.Estimator}{(gate.ComparedWith is null ? "" : $" vs {gate.ComparedWith}")}): {(gate.Passed ? "PASSED" : "FAILED")}");
            Line($"");
            foreach (var failure in gate.Failures)
            {
                Line($"- {failure}");
            }

            Line($"");
        }

        Line($"## Slices, most costly first");
        Line($"");
        Line($"Cost = excess failures: frames of the slice that are not grasp-ready, minus what the estimator's overall failure rate predicts for that many frames. Failure share = the slice's share of all the estimator's failures.");
        Line($"");
        foreach (var estimator in report.Estimators)
        {
            Line($"### {estimator.Summary.Name}");
            Line($"");
            Line($"| slice | frames | grasp-ready | failure share | cost (excess failures) |");
            Line($"|---|---:|---:|---:|---:|");
            foreach (var s in estimator.Slices.Where(s => s.Frames > 0))
            {
                Line($"| {s.Label} | {s.Frames} | {Percent(s.GraspReadyRate)} | {Percent(s.FailureShare)} | {s.ExcessFailures:+0.0;-0.0;0} |");
            }

            Line($"");
        }

        Line($"## Worst frames (no pose first, then by position error)");
        Line($"");
        foreach (var estimator in report.Estimators)
        {
            Line($"### {estimator.Summary.Name}");
            Line($"");
            Line($"| image | obj | source | position error (mm) | depth error, + too far (mm) | angle error (°) | overlay |");
            Line($"|---:|---:|---|---:|---:|---:|---|");
            foreach (var (s, overlay) in estimator.Worst)
            {
                var source = s.Found ? s.Source : $"not found ({s.FallbackReason})";
                Line($"| {s.ImageId} | {s.DatasetObjectId} | {source} | {Number(s.PositionErrorMeters * 1000, "0.0")} | {Number(s.DepthErrorMeters * 1000, "+0.0;-0.0")} | {Number(s.AngleErrorDegrees, "0.0")} | {(overlay is null ? "" : $"[png]({overlay})")} |");
            }

            Line($"");
        }

        if (plots.Count > 0)
        {
            Line($"## Plots");
            Line($"");
            foreach (var plot in plots)
            {
                Line($"![{Path.GetFileNameWithoutExtension(plot)}]({plot})");
            }

            Line($"");
        }

        return md.ToString();
    }

    private static string Percent(double? rate) => rate is { } r ? (100 * r).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";

    private static string Number(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "–";

    private static string Ms(double? seconds) => Number(seconds * 1000, "0.0");

    private static string Triple(Distribution d, double scale) =>
        $"{Number(d.Median * scale, "0.0")} / {Number(d.P90 * scale, "0.0")} / {Number(d.Max * scale, "0.0")}";

    private static string LatencyTriple(Distribution d) => $"{Ms(d.Median)} / {Ms(d.P95)} / {Ms(d.P99)}";
}
