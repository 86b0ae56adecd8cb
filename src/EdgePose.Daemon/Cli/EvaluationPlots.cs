using EdgePose.Runtime.Evaluation;
using ScottPlot;

namespace EdgePose.Daemon.Cli;

/// <summary>The report's PNG plots, drawn headless by ScottPlot (SkiaSharp); file names are relative to the output folder.</summary>
internal static class EvaluationPlots
{
    private const int Width = 900;
    private const int Height = 560;

    public static IReadOnlyList<string> Draw(string outputFolder, EvaluationReport report)
    {
        var requirements = report.Requirements;
        var files = new List<string>
        {
            ErrorCdf(outputFolder, "position_error_cdf.png", report, "Position error (mm)", s => s.PositionErrorMeters * 1000, requirements.PositionMeters.Below * 1000),
            ErrorCdf(outputFolder, "angle_error_cdf.png", report, "Angle error (°)", s => s.AngleErrorDegrees, requirements.AngleDegrees.Below),
            LatencyHistogram(outputFolder, report),
            ReliabilityCurve(outputFolder, report),
        };
        files.AddRange(report.Estimators.Select(e => FailureShares(outputFolder, e)));
        return files;
    }

    /// <summary>Share of ALL frames with an error ≤ x: frames without a pose never count, so each curve tops out at its found rate.</summary>
    private static string ErrorCdf(string folder, string file, EvaluationReport report, string label, Func<SampleOutcome, double?> error, double? limit)
    {
        var plot = new Plot();
        foreach (var estimator in report.Estimators)
        {
            var sorted = estimator.Samples.Select(error).OfType<double>().Order().ToArray();
            var total = estimator.Samples.Count;
            // The last step runs on past the axis so a curve that tops out early reads as flat, not as ending.
            var beyond = 100 * Math.Max(limit ?? 1, sorted.LastOrDefault());
            double[] xs = [0, .. sorted, beyond];
            double[] ys = [0, .. sorted.Select((_, i) => (i + 1.0) / total), (double)sorted.Length / total];
            var line = plot.Add.ScatterLine(xs, ys);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LegendText = estimator.Summary.Name;
            line.LineWidth = 2;
        }

        if (limit is { } x)
        {
            var requirement = plot.Add.VerticalLine(x);
            requirement.LinePattern = LinePattern.Dashed;
            requirement.LegendText = "requirement";
        }

        plot.Title($"{label}: cumulative share of all frames");
        plot.XLabel(label);
        plot.YLabel("share of frames ≤ x");
        plot.Axes.SetLimitsY(0, 1.02);
        // The tail can be metres when a pose flips; the interesting part is up to a few times the requirement.
        plot.Axes.SetLimitsX(0, 4 * (limit ?? 1));
        plot.ShowLegend(Alignment.LowerRight);
        return Save(plot, folder, file);
    }

    /// <summary>Share grasp-ready per confidence bin of the served poses; a calibrated estimator follows the diagonal, and
    /// the bins above its threshold should sit near the top.</summary>
    private static string ReliabilityCurve(string folder, EvaluationReport report)
    {
        var plot = new Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dotted;
        diagonal.LegendText = "calibrated";
        foreach (var estimator in report.Estimators)
        {
            var bins = estimator.Summary.Reliability.Where(b => b.Frames > 0).ToArray();
            var line = plot.Add.ScatterLine(
                bins.Select(b => (b.Low + b.High) / 2).ToArray(), bins.Select(b => b.GraspReadyRate).ToArray());
            line.LegendText = estimator.Summary.Name;
            line.LineWidth = 2;
            line.MarkerSize = 6;
        }

        plot.Title("Reliability: share grasp-ready per confidence bin of served poses");
        plot.XLabel("confidence");
        plot.YLabel("share grasp-ready");
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(plot, folder, "reliability.png");
    }

    private static string LatencyHistogram(string folder, EvaluationReport report)
    {
        var plot = new Plot();
        var budgetMs = (report.Requirements.LatencySeconds.Below ?? 0.1) * 1000;
        var all = report.Estimators.SelectMany(e => e.Samples.Select(s => s.Latency.EndToEnd * 1000)).ToArray();
        var top = Math.Max(budgetMs * 1.2, all.Length == 0 ? budgetMs : all.Max());
        const int bins = 60;
        var width = top / bins;
        foreach (var estimator in report.Estimators)
        {
            var counts = new double[bins];
            foreach (var sample in estimator.Samples.DistinctBy(s => s.ImageId))
            {
                counts[Math.Min(bins - 1, (int)(sample.Latency.EndToEnd * 1000 / width))]++;
            }

            var bars = plot.Add.Bars(Enumerable.Range(0, bins).Select(i => (i + 0.5) * width).ToArray(), counts);
            bars.LegendText = estimator.Summary.Name;
            foreach (var bar in bars.Bars)
            {
                bar.Size = width;
                bar.FillColor = bar.FillColor.WithAlpha(0.5);
                bar.LineWidth = 0;
            }
        }

        var budget = plot.Add.VerticalLine(budgetMs);
        budget.LinePattern = LinePattern.Dashed;
        budget.Color = Colors.Red;
        budget.LegendText = $"{budgetMs:0} ms budget";
        plot.Title("End-to-end latency per frame");
        plot.XLabel("latency (ms)");
        plot.YLabel("frames");
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, folder, "latency_histogram.png");
    }

    /// <summary>Per slice, most costly at the top: its share of the failures next to its share of the frames; a gap is the slice's cost.</summary>
    private static string FailureShares(string folder, EstimatorResult estimator)
    {
        var slices = estimator.Slices.Where(s => s.Frames > 0).ToArray();
        var plot = new Plot();
        var frames = (double)estimator.Samples.Count;
        var positions = slices.Select((_, i) => (double)(slices.Length - i)).ToArray();
        var failure = plot.Add.Bars(positions.Select(p => p + 0.2).ToArray(), slices.Select(s => s.FailureShare).ToArray());
        failure.LegendText = "share of failures";
        var share = plot.Add.Bars(positions.Select(p => p - 0.2).ToArray(), slices.Select(s => s.Frames / frames).ToArray());
        share.LegendText = "share of frames";
        foreach (var (bars, color) in new[] { (failure, Colors.OrangeRed), (share, Colors.SteelBlue) })
        {
            bars.Horizontal = true;
            foreach (var bar in bars.Bars)
            {
                bar.Size = 0.4;
                bar.FillColor = color;
            }
        }

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, [.. slices.Select(s => s.Label)]);
        plot.Axes.SetLimitsX(0, 1);
        plot.Title($"{estimator.Summary.Name}: failure share per slice (most costly at the top)");
        plot.XLabel("share");
        plot.ShowLegend(Alignment.LowerRight);
        return Save(plot, folder, $"failure_share_{estimator.Summary.Name}.png");
    }

    private static string Save(Plot plot, string folder, string file)
    {
        plot.SavePng(Path.Combine(folder, file), Width, Height);
        return file;
    }
}
