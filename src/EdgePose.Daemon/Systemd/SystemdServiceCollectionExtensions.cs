using EdgePose.Daemon.Systemd;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting.Systemd;

namespace Microsoft.Extensions.DependencyInjection;

internal static class SystemdServiceCollectionExtensions
{
    /// <summary>
    /// Under systemd: READY=1 after warm-up and watchdog pings from the pipeline loop, all sent without ever waiting on
    /// the service manager (<see cref="NonBlockingSystemdNotifier"/>, in place of AddSystemd's). Elsewhere nothing to notify.
    /// </summary>
    public static IServiceCollection AddSystemdIntegration(this IServiceCollection services)
    {
        if (SystemdHelpers.IsSystemdService())
        {
            services.Replace(ServiceDescriptor.Singleton<ISystemdNotifier, NonBlockingSystemdNotifier>());
            services.AddHostedService<SystemdReadiness>();
            services.AddHostedService<SystemdWatchdog>();
        }

        return services;
    }
}
