using System.Globalization;
using EdgePose.Lab.Evaluation;

namespace EdgePose.Benchmarks;

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Distribution.Of(values).Median ?? double.NaN;

    /// <summary>"median 1.23 ms, p99 4.56 ms (n=500)".</summary>
    public static string Milliseconds(IReadOnlyList<double> seconds)
    {
        var distribution = Distribution.Of(seconds);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"median {(distribution.Median ?? double.NaN) * 1000,7:0.00} ms  p99 {(distribution.P99 ?? double.NaN) * 1000,7:0.00} ms  (n={seconds.Count})");
    }
}
