using EdgePose.Daemon.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgePose.Daemon.Tests.Hosting;

public sealed class DaemonExitTests
{
    [Fact]
    public async Task A_failing_background_service_other_than_the_pipeline_stops_the_daemon_with_a_non_zero_code()
    {
        await using var daemon = await RunningDaemon.StartAsync(replaceServices: services => services.AddHostedService<FailsAfterStart>());
        var stopping = new TaskCompletionSource();
        daemon.App.Lifetime.ApplicationStopping.Register(stopping.SetResult);

        // The failure asks the host to stop; the rest of the stop is what ServeCommand's WaitForShutdownAsync does.
        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await daemon.App.StopAsync();

        Assert.Equal(DaemonExit.Software, DaemonExit.Code(daemon.App.Services));
    }

    [Fact]
    public async Task A_clean_stop_exits_zero()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await daemon.App.StopAsync();

        Assert.Equal(0, DaemonExit.Code(daemon.App.Services));
    }

    /// <summary>Stands in for a background part (board health, watchdog) that breaks while serving.</summary>
    private sealed class FailsAfterStart(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            // Only once the start has completed: on a loaded machine a fixed delay could fail the start itself instead.
            var started = new TaskCompletionSource();
            using (lifetime.ApplicationStarted.Register(started.SetResult))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            throw new InvalidOperationException("broken on purpose");
        }
    }
}
