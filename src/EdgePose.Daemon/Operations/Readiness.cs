using EdgePose.Daemon.Grpc;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Operations;

/// <summary>Whether the daemon is warm and producing fresh results, and if not, why.</summary>
public sealed record ReadinessReport(bool Ready, string Reason);

/// <summary>
/// The one readiness rule, read by gRPC health (<see cref="HealthReporter"/>) and by /readyz, so the two always agree: ready
/// once warm with a live result, while the camera has not been lost longer than allowed and the newest result is fresh.
/// A failed model with the baseline answering stays ready (degraded, said in the reason): poses still flow, and a probe that
/// failed would stop the grasp controller, or take the pod out of its Service, for nothing a restart could cure.
/// </summary>
internal sealed class Readiness(
    IPoseResultStore store,
    ICaptureMonitor capture,
    IOptions<GrpcOptions> grpcOptions,
    IOptions<OperationsOptions> options,
    TimeProvider timeProvider)
{
    public ReadinessReport Evaluate()
    {
        var snapshot = store.Current;
        if (snapshot.Latest is not { } latest || snapshot.State is PipelineState.Starting or PipelineState.Stopped)
        {
            return new(false, $"{snapshot.State.ToString().ToLowerInvariant()}: {snapshot.Reason ?? "no result yet"}");
        }

        var camera = capture.Status;
        var lostFor = camera.LostFor(timeProvider);
        if (lostFor > grpcOptions.Value.CameraLostNotServingAfter)
        {
            return new(false, $"camera lost for {lostFor.TotalSeconds:0.0} s: {camera.Error ?? "not connected"}");
        }

        var age = latest.AgeAt(timeProvider);
        if (age > options.Value.MaxResultAge)
        {
            return new(false, $"newest result is {age.TotalSeconds:0.0} s old (Operations:MaxResultAge {options.Value.MaxResultAge.TotalSeconds:0.###} s)");
        }

        return new(true, snapshot.State == PipelineState.Degraded ? $"degraded: {snapshot.Reason}" : "ready");
    }
}
