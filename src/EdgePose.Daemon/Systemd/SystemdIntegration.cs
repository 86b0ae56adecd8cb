using System.Globalization;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Systemd;

/// <summary>
/// Holds the host's start (and so systemd's READY=1, sent by the systemd lifetime once the host has started) until the model
/// is loaded and warm, extending systemd's start timeout meanwhile — a first TensorRT engine build takes minutes.
/// </summary>
internal sealed partial class SystemdReadiness(ISystemdNotifier notifier, IModelHost modelHost, TimeProvider timeProvider, ILogger<SystemdReadiness> logger)
    : IHostedService
{
    private static readonly TimeSpan ExtendBy = TimeSpan.FromSeconds(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        while (!modelHost.Initialized.IsCompleted)
        {
            if (notifier.IsEnabled)
            {
                notifier.Notify(new ServiceState($"EXTEND_TIMEOUT_USEC={(long)ExtendBy.TotalMicroseconds}"));
                notifier.Notify(new ServiceState("STATUS=loading and warming up the model"));
            }

            try
            {
                await modelHost.Initialized.WaitAsync(ExtendBy / 3, timeProvider, cancellationToken);
            }
            catch (TimeoutException)
            {
                LogStillLoading(logger);
            }
        }

        if (notifier.IsEnabled)
        {
            notifier.Notify(new ServiceState("STATUS=serving"));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Model still loading; systemd start timeout extended")]
    private static partial void LogStillLoading(ILogger logger);
}

/// <summary>
/// WATCHDOG=1 every quarter of WATCHDOG_USEC (so that a tick delayed by a busy machine still arrives well within half of
/// it, systemd's advice), but only while the pipeline loop's own heartbeat is fresh and the capture thread
/// is not stuck in a device call: a hung pipeline, or a camera read that never returns (the pipeline's idle heartbeats
/// would otherwise keep the pings going), stops the pings and systemd restarts the service.
/// </summary>
internal sealed partial class SystemdWatchdog(
    ISystemdNotifier notifier,
    IPoseResultStore store,
    ICaptureMonitor capture,
    IOptions<CaptureOptions> captureOptions,
    TimeProvider timeProvider,
    ILogger<SystemdWatchdog> logger)
    : BackgroundService
{
    public static TimeSpan? WatchdogInterval(string? watchdogUsec) =>
        long.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled || WatchdogInterval(Environment.GetEnvironmentVariable("WATCHDOG_USEC")) is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval / 4, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var silence = timeProvider.GetElapsedTime(store.Current.HeartbeatTimestamp);
                var blocked = capture.BlockedFor;
                if (silence >= interval / 2)
                {
                    LogPipelineSilent(logger, silence.TotalSeconds);
                }
                else if (blocked > captureOptions.Value.HungDeviceLimit)
                {
                    LogCaptureHung(logger, blocked.TotalSeconds);
                }
                else
                {
                    notifier.Notify(new ServiceState("WATCHDOG=1"));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1501, Level = LogLevel.Error, Message = "Pipeline silent for {Seconds:0.0} s; withholding the systemd watchdog ping")]
    private static partial void LogPipelineSilent(ILogger logger, double seconds);

    [LoggerMessage(
        EventId = 1502, Level = LogLevel.Error,
        Message = "Capture stuck in a device call for {Seconds:0.0} s (over EdgePose:Capture:HungDeviceLimit); withholding the systemd watchdog ping so a restart reopens the device")]
    private static partial void LogCaptureHung(ILogger logger, double seconds);
}
