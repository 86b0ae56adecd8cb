using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Pipeline;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Grpc;

/// <summary>
/// Keeps grpc.health.v1 in step with the pipeline: SERVING once warm with a result, NOT_SERVING while the camera has been
/// lost longer than allowed (the grasp controller should stop asking then), SERVING again once frames flow.
/// </summary>
internal sealed class HealthReporter(
    HealthServiceImpl health,
    IPoseResultStore store,
    ICaptureMonitor capture,
    IOptions<GrpcOptions> options,
    TimeProvider timeProvider) : BackgroundService
{
    public const string ServiceName = "edgepose.v1.PoseService";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    public HealthCheckResponse.Types.ServingStatus Evaluate()
    {
        var snapshot = store.Current;
        if (snapshot.Latest is null || snapshot.State is PipelineState.Starting or PipelineState.Stopped)
        {
            return HealthCheckResponse.Types.ServingStatus.NotServing;
        }

        var camera = capture.Status;
        var lostFor = camera.Connected || camera.DisconnectedSince is not { } since ? TimeSpan.Zero : timeProvider.GetUtcNow() - since;
        return lostFor > options.Value.CameraLostNotServingAfter
            ? HealthCheckResponse.Types.ServingStatus.NotServing
            : HealthCheckResponse.Types.ServingStatus.Serving;
    }

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
