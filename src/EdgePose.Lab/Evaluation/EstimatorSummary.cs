namespace EdgePose.Lab.Evaluation;

/// <summary>A requirement's outcome over all of an estimator's frames.</summary>
public sealed record RequirementResult(string Name, string Description, double? Below, double MinPassRate, double PassRate)
{
    public bool Passed => PassRate >= MinPassRate;
}

/// <summary>Frames whose served pose had a confidence in [Low, High), and the share of them that was grasp-ready.</summary>
public sealed record ReliabilityBin(double Low, double High, int Frames, double GraspReadyRate);

/// <summary>
/// Everything one estimator scored on one dataset. Rates are over all frames; error distributions over found frames only.
/// <see cref="DepthErrorMeters"/> (its size) and <see cref="LateralErrorMeters"/> split the position error along and across
/// the line of sight.
/// </summary>
public sealed record EstimatorSummary(
    string Name,
    string Description,
    int Frames,
    double FoundRate,
    double GraspReadyRate,
    double WrongPoseRate,
    Distribution PositionErrorMeters,
    Distribution DepthErrorMeters,
    Distribution LateralErrorMeters,
    Distribution AngleErrorDegrees,
    Distribution AddMeters,
    Distribution AddSMeters,
    double AddPassRate,
    double AddSPassRate,
    Distribution LatencySeconds,
    IReadOnlyDictionary<string, Distribution> StageLatencySeconds,
    IReadOnlyList<RequirementResult> Requirements,
    IReadOnlyDictionary<string, int> Sources,
    IReadOnlyDictionary<string, int> FallbackReasons,
    IReadOnlyList<ReliabilityBin> Reliability)
{
    /// <summary>Confidence bins of the reliability curve: tenths of [0, 1], the last one closed.</summary>
    public const int ReliabilityBins = 10;

    public static readonly IReadOnlyList<(string Name, Func<FrameLatency, double> Value)> Stages =
    [
        ("preprocess", l => l.Preprocess), ("inference", l => l.Inference), ("pnp", l => l.Pnp), ("baseline", l => l.Baseline),
    ];

    public static EstimatorSummary Of(string name, string description, IReadOnlyList<SampleOutcome> samples, EvaluationRequirements requirements)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count, nameof(samples));
        double Rate(Func<SampleOutcome, bool> passes) => (double)samples.Count(passes) / samples.Count;
        var found = samples.Where(s => s.Found).ToArray();

        // Latency belongs to the frame, not to each labelled object in it.
        var frames = samples.DistinctBy(s => s.ImageId).Select(s => s.Latency).ToArray();
        return new EstimatorSummary(
            name,
            description,
            samples.Count,
            Rate(s => s.Found),
            Rate(requirements.IsGraspReady),
            Rate(requirements.IsWrongPose),
            Distribution.Of(found.Select(s => s.PositionErrorMeters!.Value)),
            Distribution.Of(found.Select(s => Math.Abs(s.DepthErrorMeters!.Value))),
            Distribution.Of(found.Select(s => s.LateralErrorMeters!.Value)),
            Distribution.Of(found.Select(s => s.AngleErrorDegrees!.Value)),
            Distribution.Of(found.Select(s => s.AddMeters!.Value)),
            Distribution.Of(found.Select(s => s.AddSMeters!.Value)),
            Rate(s => s.AddPasses),
            Rate(s => s.AddSPasses),
            Distribution.Of(frames.Select(l => l.EndToEnd)),
            Stages.ToDictionary(s => s.Name, s => Distribution.Of(frames.Select(s.Value))),
            [.. requirements.All.Select(r => new RequirementResult(r.Name, r.Description, r.Below, r.MinPassRate, Rate(r.Passes)))],
            Count(samples, s => s.Source),
            Count(samples, s => s.FallbackReason),
            ReliabilityOf(found, requirements));
    }

    /// <summary>What a confidence means: per bin of served poses, the share that was grasp-ready. Empty bins are kept, so
    /// every report has the same rows.</summary>
    private static ReliabilityBin[] ReliabilityOf(IReadOnlyList<SampleOutcome> found, EvaluationRequirements requirements)
    {
        var bins = found.ToLookup(s => Math.Min((int)(s.Confidence * ReliabilityBins), ReliabilityBins - 1));
        return
        [
            .. Enumerable.Range(0, ReliabilityBins).Select(bin => new ReliabilityBin(
                (double)bin / ReliabilityBins,
                (double)(bin + 1) / ReliabilityBins,
                bins[bin].Count(),
                bins[bin].Any() ? (double)bins[bin].Count(requirements.IsGraspReady) / bins[bin].Count() : 0)),
        ];
    }

    private static Dictionary<string, int> Count(IReadOnlyList<SampleOutcome> samples, Func<SampleOutcome, string> key) =>
        samples.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
}
