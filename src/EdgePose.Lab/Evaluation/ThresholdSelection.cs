using System.Globalization;

namespace EdgePose.Lab.Evaluation;

/// <summary>One labelled object in one frame: the model's answer with every pose it found (threshold 0) and the baseline's.</summary>
public sealed record ThresholdSample(SampleOutcome Model, SampleOutcome Baseline)
{
    /// <summary>The model's pose when it found one at least this confident, otherwise the baseline's, served after the model ran.</summary>
    public SampleOutcome Policy(double threshold) => ServesModel(threshold) ? Model : Baseline.After(Model);

    public bool ServesModel(double threshold) => Model.Found && Model.Confidence >= threshold;
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

/// <summary>One candidate threshold: each validation split's counts, in split order, and all of them pooled.</summary>
public sealed record ThresholdRow(double Threshold, IReadOnlyList<ThresholdCounts> Splits, ThresholdCounts Pooled);

/// <summary>
/// The rule's outcome: the lowest threshold at which neither the policy nor the model alone serves more wrong poses on the
/// validation splits pooled than <see cref="WrongRateLimit"/>; null when no candidate does.
/// </summary>
public sealed record ThresholdChoice(
    IReadOnlyList<string> Splits, double MaxWrongRate, int HeldOutFrames, double WrongRateLimit, double? Threshold, IReadOnlyList<ThresholdRow> Rows)
{
    public ThresholdRow? Chosen => Threshold is { } t ? Rows.Single(r => r.Threshold == t) : null;
}

/// <summary>
/// Chooses the model's confidence threshold on validation splits. The fallback policy serves the model's pose when its
/// confidence reaches the threshold and the baseline's otherwise, so one run of each estimator per frame (the model at
/// threshold 0) says what the policy would serve at every threshold: the baseline's answer does not depend on the
/// threshold (where it searches first does, what it finds does not) and its time is added to the model's.
/// </summary>
public static class ThresholdSelection
{
    /// <summary>Candidates 0.00, 0.01 … 1.00: as fine as a threshold written in a configuration file needs.</summary>
    public const int Steps = 100;

    /// <summary>
    /// The validation wrong-pose rate that leaves room for chance on a held-out split of <paramref name="heldOutFrames"/>:
    /// one standard error of a rate of <paramref name="maxWrongRate"/> on that many frames below it (0 frames: no room).
    /// A threshold chosen exactly at the limit on validation frames serves more than it on about half of the splits after.
    /// </summary>
    public static double WrongRateLimit(double maxWrongRate, int heldOutFrames) =>
        heldOutFrames == 0 ? maxWrongRate : maxWrongRate - Math.Sqrt(maxWrongRate * (1 - maxWrongRate) / heldOutFrames);

    public static ThresholdChoice Choose(
        IReadOnlyList<(string Split, IReadOnlyList<ThresholdSample> Samples)> splits, EvaluationRequirements requirements, double maxWrongRate, int heldOutFrames)
    {
        var limit = WrongRateLimit(maxWrongRate, heldOutFrames);
        var rows = Enumerable.Range(0, Steps + 1).Select(step =>
        {
            // Rounded so that the chosen value compares with confidences exactly as the same text read from a configuration file.
            var threshold = Math.Round(step / (double)Steps, 2);
            var counts = splits.Select(s => Count(s.Samples, threshold, requirements)).ToArray();
            return new ThresholdRow(threshold, counts, ThresholdCounts.Sum(counts));
        }).ToArray();
        var chosen = rows.FirstOrDefault(r => r.Pooled.PolicyWrongRate <= limit && r.Pooled.ModelWrongRate <= limit);
        return new ThresholdChoice([.. splits.Select(s => s.Split)], maxWrongRate, heldOutFrames, limit, chosen?.Threshold, rows);
    }

    public static string Format(double threshold) => threshold.ToString("0.00", CultureInfo.InvariantCulture);

    private static ThresholdCounts Count(IReadOnlyList<ThresholdSample> samples, double threshold, EvaluationRequirements requirements)
    {
        int modelReady = 0, modelWrong = 0, policyReady = 0, policyWrong = 0;
        foreach (var sample in samples)
        {
            if (sample.ServesModel(threshold))
            {
                modelReady += requirements.IsGraspReady(sample.Model) ? 1 : 0;
                modelWrong += requirements.IsWrongPose(sample.Model) ? 1 : 0;
            }

            var served = sample.Policy(threshold);
            policyReady += requirements.IsGraspReady(served) ? 1 : 0;
            policyWrong += requirements.IsWrongPose(served) ? 1 : 0;
        }

        return new ThresholdCounts(samples.Count, modelReady, modelWrong, policyReady, policyWrong);
    }
}
