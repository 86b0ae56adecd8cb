using System.Reflection;

namespace EdgePose.Daemon.Hosting;

/// <summary>Facts fixed for the life of the process.</summary>
internal sealed class DaemonInfo(TimeProvider timeProvider)
{
    public string Version { get; } =
        typeof(DaemonInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public DateTimeOffset StartedAt { get; } = timeProvider.GetUtcNow();
}
