using System.Globalization;

namespace EdgePose.Lab.Evaluation;

/// <summary>One labelled object in one frame: the model's and the baseline's answers with every pose each found (thresholds 0).</summary>
public sealed record ThresholdSample(SampleOutcome Model, SampleOutcome Baseline)
{
    public bool ServesModel(double threshold) => Model.Found && Model.Confidence >= threshold;

    public bool ServesBaseline(double threshold) => Baseline.Found && Baseline.Confidence >= threshold;

    /// <summary>The baseline's answer as the policy serves it in the model's place: after the model ran.</summary>
    public SampleOutcome Fallback => Baseline.After(Model);

    /// <summary>
    /// What the fallback policy serves: the model's pose when it found one at least <paramref name="modelThreshold"/>
    /// confident, otherwise the baseline's when at least <paramref name="baselineThreshold"/> confident, served after the
    /// model ran; null when neither.
    /// </summary>
    public SampleOutcome? Policy(double modelThreshold, double baselineThreshold) =>
        ServesModel(modelThreshold) ? Model : ServesBaseline(baselineThreshold) ? Fallback : null;
}

/// <summary>Frames, and how many of them the model alone and the fallback policy made grasp-ready or served a wrong pose.</summary>
public sealed record ThresholdCounts(int Frames, int ModelReady, int ModelWrong, int PolicyReady, int PolicyWrong)
{
    public double ModelReadyRate => Rate(ModelReady);

    public double ModelWrongRate => Rate(ModelWrong);

    public double PolicyReadyRate => Rate(PolicyReady);

    public double PolicyWrongRate => Rate(PolicyWrong);

    public static ThresholdCounts Sum(IEnumerable<ThresholdCounts> counts) => counts.Aggregate(
        new ThresholdCounts(0, 0, 0, 0, 0),
        (a, b) => new ThresholdCounts(a.Frames + b.Frames, a.ModelReady + b.ModelReady, a.ModelWrong + b.ModelWrong, a.PolicyReady + b.PolicyReady, a.PolicyWrong + b.PolicyWrong));

    private double Rate(int count) => Frames == 0 ? 0 : count / (double)Frames;
}

/// <summary>One pair of thresholds: each validation split's counts, in split order, and all of them pooled.</summary>
public sealed record ThresholdRow(double ModelThreshold, double BaselineThreshold, IReadOnlyList<ThresholdCounts> Splits, ThresholdCounts Pooled)
{
    public bool Meets(double wrongRateLimit) => Pooled.PolicyWrongRate <= wrongRateLimit && Pooled.ModelWrongRate <= wrongRateLimit;
}

/// <summary>
/// The rule's outcome: the pair of thresholds (model, baseline) that makes the most frames grasp-ready under the policy
/// while neither the policy nor the model alone serves more wrong poses on the validation splits pooled than
/// <see cref="WrongRateLimit"/>; null when no pair does. <see cref="ModelRows"/> vary the model's threshold at the chosen
/// (or only) baseline threshold, <see cref="BaselineRows"/> the baseline's at the chosen model threshold.
/// </summary>
public sealed record ThresholdChoice(
    IReadOnlyList<string> Splits,
    double MaxWrongRate,
    int HeldOutFrames,
    double WrongRateLimit,
    ThresholdRow? Chosen,
    IReadOnlyList<ThresholdRow> ModelRows,
    IReadOnlyList<ThresholdRow> BaselineRows);

/// <summary>
/// Chooses the confidence thresholds of the fallback policy on validation splits. The policy serves the model's pose when
/// its confidence reaches the model's threshold, the baseline's when that reaches the baseline's, and nothing otherwise, so
/// one run of each estimator per frame at threshold 0 says what the policy would serve at every pair: the baseline's answer
/// does not depend on the model's (where it searches first does, what it finds does not) and its time is added to the model's.
/// </summary>
public static class ThresholdSelection
{
    /// <summary>Candidates 0.00, 0.01 … 1.00 for each threshold: as fine as a threshold written in a configuration file needs.</summary>
    public const int Steps = 100;

    /// <summary>
    /// The validation wrong-pose rate that leaves room for chance on a held-out split of <paramref name="heldOutFrames"/>:
    /// one standard error of a rate of <paramref name="maxWrongRate"/> on that many frames below it (0 frames: no room).
    /// A threshold chosen exactly at the limit on validation frames serves more than it on about half of the splits after.
    /// </summary>
    public static double WrongRateLimit(double maxWrongRate, int heldOutFrames) =>
        heldOutFrames == 0 ? maxWrongRate : maxWrongRate - Math.Sqrt(maxWrongRate * (1 - maxWrongRate) / heldOutFrames);

    /// <param name="baselineThreshold">Keep the baseline's threshold at this value and choose the model's alone; null: choose both.</param>
    public static ThresholdChoice Choose(
        IReadOnlyList<(string Split, IReadOnlyList<ThresholdSample> Samples)> splits,
        EvaluationRequirements requirements,
        double maxWrongRate,
        int heldOutFrames,
        double? baselineThreshold = null)
    {
        var limit = WrongRateLimit(maxWrongRate, heldOutFrames);
        var judged = splits.Select(s => s.Samples.Select(sample => new Judged(sample, requirements)).ToArray()).ToArray();
        ThresholdRow Row(double model, double baseline)
        {
            var counts = judged.Select(samples => Count(samples, model, baseline)).ToArray();
            return new ThresholdRow(model, baseline, counts, ThresholdCounts.Sum(counts));
        }

        var baselineCandidates = baselineThreshold is { } fixedThreshold ? [fixedThreshold] : Candidates();
        var chosen = Candidates()
            .SelectMany(model => baselineCandidates.Select(baseline => Row(model, baseline)))
            .Where(row => row.Meets(limit))
            // The most frames grasp-ready; of equals, the lowest thresholds (the model's first): the most poses served.
            .OrderByDescending(row => row.Pooled.PolicyReady)
            .ThenBy(row => row.ModelThreshold)
            .ThenBy(row => row.BaselineThreshold)
            .FirstOrDefault();
        var rowsBaseline = chosen?.BaselineThreshold ?? baselineThreshold ?? 0;
        var rowsModel = chosen?.ModelThreshold ?? 0;
        return new ThresholdChoice(
            [.. splits.Select(s => s.Split)],
            maxWrongRate,
            heldOutFrames,
            limit,
            chosen,
            [.. Candidates().Select(model => Row(model, rowsBaseline))],
            baselineThreshold is null ? [.. Candidates().Select(baseline => Row(rowsModel, baseline))] : []);
    }

    public static string Format(double threshold) => threshold.ToString("0.00", CultureInfo.InvariantCulture);

    // Rounded so that a chosen value compares with confidences exactly as the same text read from a configuration file.
    private static double[] Candidates() => [.. Enumerable.Range(0, Steps + 1).Select(step => Math.Round(step / (double)Steps, 2))];

    private static ThresholdCounts Count(Judged[] samples, double modelThreshold, double baselineThreshold)
    {
        int modelReady = 0, modelWrong = 0, policyReady = 0, policyWrong = 0;
        foreach (var s in samples)
        {
            if (s.Sample.ServesModel(modelThreshold))
            {
                modelReady += s.ModelReady ? 1 : 0;
                modelWrong += s.ModelWrong ? 1 : 0;
                policyReady += s.ModelReady ? 1 : 0;
                policyWrong += s.ModelWrong ? 1 : 0;
            }
            else if (s.Sample.ServesBaseline(baselineThreshold))
            {
                policyReady += s.FallbackReady ? 1 : 0;
                policyWrong += s.FallbackWrong ? 1 : 0;
            }
        }

        return new ThresholdCounts(samples.Length, modelReady, modelWrong, policyReady, policyWrong);
    }

    /// <summary>A sample's verdicts, judged once: the grid asks for them ten thousand times.</summary>
    private sealed class Judged(ThresholdSample sample, EvaluationRequirements requirements)
    {
        public ThresholdSample Sample { get; } = sample;

        public bool ModelReady { get; } = requirements.IsGraspReady(sample.Model);

        public bool ModelWrong { get; } = requirements.IsWrongPose(sample.Model);

        public bool FallbackReady { get; } = requirements.IsGraspReady(sample.Fallback);

        public bool FallbackWrong { get; } = requirements.IsWrongPose(sample.Fallback);
    }
}
