using EdgePose.Daemon.Systemd;
using Microsoft.Extensions.Hosting.Systemd;

namespace Microsoft.Extensions.DependencyInjection;

internal static class SystemdServiceCollectionExtensions
{
    /// <summary>Under systemd: READY=1 after warm-up and watchdog pings from the pipeline loop. Elsewhere nothing to notify.</summary>
    public static IServiceCollection AddSystemdIntegration(this IServiceCollection services)
    {
        if (SystemdHelpers.IsSystemdService())
        {
            services.AddHostedService<SystemdReadiness>();
            services.AddHostedService<SystemdWatchdog>();
        }

        return services;
    }
}
