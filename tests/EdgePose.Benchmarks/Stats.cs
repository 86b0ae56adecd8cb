using System.Globalization;

namespace EdgePose.Benchmarks;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    /// <summary>"median 1.23 ms, p99 4.56 ms (n=500)".</summary>
    public static string Milliseconds(IReadOnlyList<double> seconds) => string.Create(
        CultureInfo.InvariantCulture,
        $"median {Percentile(seconds, 50) * 1000,7:0.00} ms  p99 {Percentile(seconds, 99) * 1000,7:0.00} ms  (n={seconds.Count})");
}
