using EdgePose.Runtime.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class TrackingServiceCollectionExtensions
{
    /// <summary>Binds and validates "EdgePose:Tracking" and registers the live loop's <see cref="IPoseTracker"/>.</summary>
    public static IServiceCollection AddPoseTracking(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<TrackingOptions>(configuration, TrackingOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IPoseTracker, PoseTracker>();
        return services;
    }
}
