using EdgePose.Daemon.Operations;
using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace EdgePose.Daemon.Grpc;

/// <summary>
/// Keeps grpc.health.v1 in step with the pipeline through <see cref="Readiness"/> (the rule /readyz serves too): SERVING once
/// warm with a fresh result, NOT_SERVING while the camera has been lost longer than allowed (the grasp controller should stop
/// asking then) or results have gone stale, SERVING again once frames flow.
/// </summary>
internal sealed class HealthReporter(
    HealthServiceImpl health,
    Readiness readiness,
    TimeProvider timeProvider) : BackgroundService
{
    public const string ServiceName = "edgepose.v1.PoseService";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    public HealthCheckResponse.Types.ServingStatus Evaluate() => readiness.Evaluate().Ready
        ? HealthCheckResponse.Types.ServingStatus.Serving
        : HealthCheckResponse.Types.ServingStatus.NotServing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Set(HealthCheckResponse.Types.ServingStatus.NotServing);
        using var timer = new PeriodicTimer(Interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Set(Evaluate());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        Set(HealthCheckResponse.Types.ServingStatus.NotServing);
        return base.StopAsync(cancellationToken);
    }

    private void Set(HealthCheckResponse.Types.ServingStatus status)
    {
        health.SetStatus("", status);
        health.SetStatus(ServiceName, status);
    }
}
