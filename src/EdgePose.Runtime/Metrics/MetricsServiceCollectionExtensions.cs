using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;

namespace Microsoft.Extensions.DependencyInjection;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="PoseMetrics"/> on <paramref name="registry"/> (the process-wide default registry when null).</summary>
    public static IServiceCollection AddPoseMetrics(this IServiceCollection services, CollectorRegistry? registry = null)
    {
        services.AddSingleton(_ => new PoseMetrics(registry ?? Prometheus.Metrics.DefaultRegistry));
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
