using System.Reflection;

namespace EdgePose.Daemon.Hosting;

/// <summary>Facts fixed for the life of the process. Created with the host (see AddPoseGrpc), not on first use.</summary>
internal sealed class DaemonInfo(TimeProvider timeProvider)
{
    private readonly long _started = timeProvider.GetTimestamp();

    public string Version { get; } =
        typeof(DaemonInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Time since the host was built, on the monotonic clock: a wall-clock step does not change it.</summary>
    public TimeSpan Uptime => timeProvider.GetElapsedTime(_started);
}
