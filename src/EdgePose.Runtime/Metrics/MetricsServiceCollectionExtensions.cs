using EdgePose.Core.Objects;
using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;

namespace Microsoft.Extensions.DependencyInjection;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PoseMetrics"/> on <paramref name="registry"/> (the process-wide default registry when null), its
    /// object_id label bounded by the workcell's objects (AddWorkcell; tools that publish no poses may leave it out).
    /// </summary>
    public static IServiceCollection AddPoseMetrics(this IServiceCollection services, CollectorRegistry? registry = null)
    {
        services.AddSingleton(sp => new PoseMetrics(
            registry ?? Prometheus.Metrics.DefaultRegistry, (sp.GetService<Workcell>() ?? Workcell.Default).Objects.Select(o => o.Id)));
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
