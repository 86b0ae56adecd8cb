namespace EdgePose.Lab.Evaluation;

/// <summary>Order statistics of a sample; every field is null for an empty sample so a report never shows a made-up number.</summary>
public sealed record Distribution(int Count, double? Median, double? P90, double? P95, double? P99, double? Max)
{
    public static Distribution Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Distribution(0, null, null, null, null, null);
        }

        return new Distribution(sorted.Length, Quantile(sorted, 0.5), Quantile(sorted, 0.9), Quantile(sorted, 0.95), Quantile(sorted, 0.99), sorted[^1]);
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default), on an ascending array.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count, nameof(sorted));
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }
}
