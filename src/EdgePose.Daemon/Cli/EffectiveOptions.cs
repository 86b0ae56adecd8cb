using EdgePose.Daemon.Grpc;
using EdgePose.Daemon.Metrics;
using EdgePose.Daemon.Operations;
using EdgePose.Runtime.Baseline;
using EdgePose.Runtime.BoardHealth;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.FailureCapture;
using EdgePose.Runtime.Inference;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using EdgePose.Simulation.Scene;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Cli;

/// <summary>
/// Every options section as the daemon would run with it (defaults included), validated; a nested section
/// ("Capture:Synthetic", bound by the simulation) is shown inside its parent.
/// </summary>
internal static class EffectiveOptions
{
    public static IEnumerable<(string Section, object Value)> Resolve(IServiceProvider services)
    {
        yield return ("Workcell", services.GetRequiredService<IOptions<WorkcellOptions>>().Value);
        yield return ("Capture", services.GetRequiredService<IOptions<CaptureOptions>>().Value);
        yield return ("Capture:Synthetic", services.GetRequiredService<IOptions<SyntheticSceneOptions>>().Value);
        yield return ("Baseline", services.GetRequiredService<IOptions<BaselineOptions>>().Value);
        yield return ("Inference", services.GetRequiredService<IOptions<InferenceOptions>>().Value);
        yield return ("Pipeline", services.GetRequiredService<IOptions<PipelineOptions>>().Value);
        yield return ("Grpc", services.GetRequiredService<IOptions<GrpcOptions>>().Value);
        yield return ("Metrics", services.GetRequiredService<IOptions<MetricsEndpointOptions>>().Value);
        yield return ("Operations", services.GetRequiredService<IOptions<OperationsOptions>>().Value);
        yield return ("BoardHealth", services.GetRequiredService<IOptions<BoardHealthOptions>>().Value);
        yield return ("FailureCapture", services.GetRequiredService<IOptions<FailureCaptureOptions>>().Value);
    }
}
