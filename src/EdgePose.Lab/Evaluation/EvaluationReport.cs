namespace EdgePose.Lab.Evaluation;

/// <summary>One of the worst frames, with the overlay drawn for it (relative to the output folder), if any.</summary>
public sealed record WorstFrame(SampleOutcome Sample, string? OverlayPath);

/// <summary>One estimator's scores, its per-frame outcomes (for the CSV and plots), slices by cost and worst frames.</summary>
public sealed record EstimatorResult(
    EstimatorSummary Summary,
    IReadOnlyList<SampleOutcome> Samples,
    IReadOnlyList<SliceResult> Slices,
    IReadOnlyList<WorstFrame> Worst);

/// <summary>Which dataset was read and how much of it was scored.</summary>
/// <param name="Samples">Labelled objects that map to a workcell object (one per frame for a single-object dataset).</param>
/// <param name="SkippedObjects">Labelled objects whose obj_id no workcell object claims.</param>
public sealed record DatasetDescription(string Root, string Split, int Frames, int Samples, int SkippedObjects);

/// <summary>The promotion gate's verdict: one line per failed check.</summary>
public sealed record GateOutcome(string Estimator, string? ComparedWith, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;

    /// <summary>
    /// Every requirement of <paramref name="gated"/> must reach its minimum pass rate; with a comparison, its grasp-ready
    /// rate must also be at least <paramref name="baseline"/>'s (the model it would replace).
    /// </summary>
    public static GateOutcome Check(EstimatorSummary gated, EstimatorSummary? baseline)
    {
        var failures = gated.Requirements
            .Where(r => !r.Passed)
            .Select(r => FormattableString.Invariant($"{gated.Name}: {r.Name} pass rate {r.PassRate:0.000} is below the minimum {r.MinPassRate:0.000}"))
            .ToList();
        if (baseline is not null && gated.GraspReadyRate < baseline.GraspReadyRate)
        {
            failures.Add(FormattableString.Invariant(
                $"{gated.Name}: {EvaluationRequirements.GraspReadyName} rate {gated.GraspReadyRate:0.000} is below {baseline.Name}'s {baseline.GraspReadyRate:0.000}"));
        }

        return new GateOutcome(gated.Name, baseline?.Name, failures);
    }
}

/// <summary>A whole evaluation run, as the writers render it.</summary>
public sealed record EvaluationReport(
    DatasetDescription Dataset,
    EvaluationRequirements Requirements,
    IReadOnlyList<EstimatorResult> Estimators,
    GateOutcome? Gate,
    double ElapsedSeconds)
{
    /// <summary>Frames without a pose first (they fail everything), then the largest position errors.</summary>
    public static IReadOnlyList<SampleOutcome> WorstSamples(IReadOnlyList<SampleOutcome> samples, int count) =>
        [.. samples.OrderBy(s => s.Found).ThenByDescending(s => s.PositionErrorMeters).ThenBy(s => s.ImageId).Take(count)];
}
