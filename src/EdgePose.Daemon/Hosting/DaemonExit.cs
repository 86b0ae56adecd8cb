namespace EdgePose.Daemon.Hosting;

/// <summary>The daemon's exit code once the host has stopped.</summary>
internal static class DaemonExit
{
    /// <summary>EX_SOFTWARE: a part of the daemon failed; systemd's Restart=on-failure acts on any non-zero code.</summary>
    public const int Software = 70;

    /// <summary>
    /// Non-zero when the host stopped because a background service failed (HostOptions.BackgroundServiceExceptionBehavior
    /// is StopHost): the host itself would exit 0, and systemd would leave a broken daemon stopped.
    /// </summary>
    public static int Code(IServiceProvider services)
    {
        if (Environment.ExitCode != 0)
        {
            return Environment.ExitCode;
        }

        return services.GetServices<IHostedService>().OfType<BackgroundService>().Any(s => s.ExecuteTask is { IsFaulted: true }) ? Software : 0;
    }
}
