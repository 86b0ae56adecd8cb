using EdgePose.Core.Geometry;
using EdgePose.Core.Poses;

namespace EdgePose.Lab.Evaluation;

/// <summary>One pose stream (raw or filtered) over a sequence: how often it is grasp-ready, how much it shakes, how late it is.</summary>
/// <param name="JitterMillimetres">
/// Standard deviation of the frame-to-frame position change minus the true change, over consecutive frames where both
/// poses are within the tolerances (wrong poses are counted apart, not mixed into the noise).
/// </param>
/// <param name="JitterDegrees">The same for the rotation change (its rotation vector against the true one).</param>
/// <param name="LagMilliseconds">
/// The time offset that best explains the position error by the true motion (least squares of error ≈ −lag × velocity), over
/// frames where the pose is within the tolerances; positive: behind the truth.
/// </param>
public sealed record StreamFigures(
    string Name, double GraspReadyRate, int Wrong, double? JitterMillimetres, double? JitterDegrees, double? LagMilliseconds, double? RotationLagMilliseconds);

/// <param name="WrongRaw">Frames whose raw pose was served but out of tolerance.</param>
/// <param name="WrongRawTaken">Of those, the ones the filter took in (accepted, started or re-acquired on).</param>
/// <param name="WrongRawServed">Of those, the ones where the filtered pose was out of tolerance too.</param>
/// <param name="Coasted">Frames without a raw pose where the filter served its prediction.</param>
/// <param name="CoastedGraspReady">Of those, the grasp-ready ones.</param>
/// <param name="CoastedWrong">Of those, the ones out of tolerance.</param>
public sealed record TrackingFigures(
    int Samples, StreamFigures Raw, StreamFigures Filtered, int WrongRaw, int WrongRawTaken, int WrongRawServed,
    int Coasted, int CoastedGraspReady, int CoastedWrong, IReadOnlyDictionary<RawPoseVerdict, int> Verdicts)
{
    private const double MillimetresPerMetre = 1000;
    private const double DegreesPerRadian = 180 / Math.PI;

    /// <param name="raw">The raw stream's outcomes in frame order, one per labelled object per frame.</param>
    /// <param name="filtered">The filtered stream's, in the same order.</param>
    public static TrackingFigures Of(
        IReadOnlyList<SampleOutcome> raw, IReadOnlyList<SampleOutcome> filtered, Func<SampleOutcome, RawPoseVerdict> verdict,
        EvaluationRequirements requirements, double framesPerSecond)
    {
        var wrongRaw = raw.Select((s, i) => (s, i)).Where(x => requirements.IsWrongPose(x.s)).ToArray();
        var taken = wrongRaw.Count(x => verdict(x.s) is RawPoseVerdict.Accepted or RawPoseVerdict.Started or RawPoseVerdict.Reacquired);
        var served = wrongRaw.Count(x => requirements.IsWrongPose(filtered[x.i]));
        var verdicts = raw.GroupBy(verdict).ToDictionary(g => g.Key, g => g.Count());
        var coasted = filtered.Where((s, i) => s.Found && !raw[i].Found).ToArray();
        return new TrackingFigures(
            raw.Count,
            Stream("raw", raw, requirements, framesPerSecond),
            Stream("filtered", filtered, requirements, framesPerSecond),
            wrongRaw.Length,
            taken,
            served,
            coasted.Length,
            coasted.Count(requirements.IsGraspReady),
            coasted.Count(requirements.IsWrongPose),
            verdicts);
    }

    private static StreamFigures Stream(string name, IReadOnlyList<SampleOutcome> samples, EvaluationRequirements requirements, double framesPerSecond)
    {
        bool Good(SampleOutcome s) => s.Found && !requirements.IsWrongPose(s);
        var positionResiduals = new List<Vec3>();
        var rotationResiduals = new List<Vec3>();
        foreach (var (previous, current) in ConsecutivePairs(samples).Where(p => Good(p.Previous) && Good(p.Current)))
        {
            var estimate = previous.Estimate!.Value.Inverse() * current.Estimate!.Value;
            var truth = previous.Truth.Inverse() * current.Truth;
            positionResiduals.Add((current.Estimate.Value.Translation - previous.Estimate.Value.Translation) - (current.Truth.Translation - previous.Truth.Translation));
            rotationResiduals.Add(Rotation3.RotationVectorBetween(truth.Rotation, estimate.Rotation));
        }

        var seconds = 1 / framesPerSecond;
        double lagNumerator = 0, lagDenominator = 0, rotationNumerator = 0, rotationDenominator = 0;
        foreach (var (before, sample, after) in Triples(samples).Where(t => Good(t.Current)))
        {
            // Central differences of the truth: its velocity at this frame.
            var velocity = (after.Truth.Translation - before.Truth.Translation) / (2 * seconds);
            var error = sample.Estimate!.Value.Translation - sample.Truth.Translation;
            lagNumerator -= error.Dot(velocity);
            lagDenominator += velocity.Dot(velocity);
            var spin = Rotation3.RotationVectorBetween(before.Truth.Rotation, after.Truth.Rotation) / (2 * seconds);
            var rotationError = Rotation3.RotationVectorBetween(sample.Truth.Rotation, sample.Estimate.Value.Rotation);
            rotationNumerator -= rotationError.Dot(spin);
            rotationDenominator += spin.Dot(spin);
        }

        return new StreamFigures(
            name,
            samples.Count == 0 ? 0 : samples.Count(requirements.IsGraspReady) / (double)samples.Count,
            samples.Count(requirements.IsWrongPose),
            StandardDeviation(positionResiduals) * MillimetresPerMetre,
            StandardDeviation(rotationResiduals) * DegreesPerRadian,
            lagDenominator > 0 ? lagNumerator / lagDenominator * 1000 : null,
            rotationDenominator > 0 ? rotationNumerator / rotationDenominator * 1000 : null);
    }

    /// <summary>Samples of the same object in consecutive images.</summary>
    private static IEnumerable<(SampleOutcome Previous, SampleOutcome Current)> ConsecutivePairs(IReadOnlyList<SampleOutcome> samples)
    {
        var last = new Dictionary<int, SampleOutcome>();
        foreach (var sample in samples)
        {
            if (last.TryGetValue(sample.DatasetObjectId, out var previous) && previous.ImageId == sample.ImageId - 1)
            {
                yield return (previous, sample);
            }

            last[sample.DatasetObjectId] = sample;
        }
    }

    private static IEnumerable<(SampleOutcome Before, SampleOutcome Current, SampleOutcome After)> Triples(IReadOnlyList<SampleOutcome> samples)
    {
        var pairs = ConsecutivePairs(samples).ToDictionary(p => (p.Current.ImageId, p.Current.DatasetObjectId));
        foreach (var (previous, current) in pairs.Values)
        {
            if (pairs.TryGetValue((current.ImageId + 1, current.DatasetObjectId), out var next))
            {
                yield return (previous, current, next.Current);
            }
        }
    }

    /// <summary>√(mean |v − v̄|²) of 3-vectors; null for fewer than two.</summary>
    private static double? StandardDeviation(List<Vec3> values)
    {
        if (values.Count < 2)
        {
            return null;
        }

        var mean = values.Aggregate(Vec3.Zero, (sum, v) => sum + v) / values.Count;
        return Math.Sqrt(values.Sum(v => (v - mean).Dot(v - mean)) / (values.Count - 1));
    }
}
