using EdgePose.Daemon.Systemd;

namespace Microsoft.Extensions.DependencyInjection;

internal static class SystemdServiceCollectionExtensions
{
    /// <summary>READY=1 after warm-up and watchdog pings from the pipeline loop; no-ops outside systemd.</summary>
    public static IServiceCollection AddSystemdIntegration(this IServiceCollection services)
    {
        services.AddHostedService<SystemdReadiness>();
        services.AddHostedService<SystemdWatchdog>();
        return services;
    }
}
