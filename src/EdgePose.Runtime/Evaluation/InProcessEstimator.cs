using System.Diagnostics;
using EdgePose.Runtime.Metrics;
using EdgePose.Runtime.Objects;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Evaluation;

/// <summary>The daemon's own <see cref="IPoseEstimator"/> under one policy; end-to-end latency is the wall time of Estimate.</summary>
public sealed class InProcessEstimator(string name, string description, IPoseEstimator estimator, Workcell workcell) : IEvaluatedEstimator
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    /// <summary>
    /// A <see cref="PoseEstimator"/> over <paramref name="services"/>' workcell, baseline and model host, but with
    /// <paramref name="policy"/> instead of the configured one: several policies share one loaded model. The other
    /// pipeline settings (model latency budget) stay as configured.
    /// </summary>
    public static IPoseEstimator CreateEstimator(IServiceProvider services, string policy)
    {
        var configured = services.GetRequiredService<IOptions<PipelineOptions>>().Value;
        var options = new PipelineOptions
        {
            FallbackPolicy = policy,
            ModelLatencyBudget = configured.ModelLatencyBudget,
            LatencyBudget = configured.LatencyBudget,
            IdleHeartbeatInterval = configured.IdleHeartbeatInterval,
        };
        return ActivatorUtilities.CreateInstance<PoseEstimator>(services, Options.Create(options));
    }

    public Task<FrameAnswer> EstimateAsync(EvaluationFrame frame, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var estimate = estimator.Estimate(frame.Image, frame.Camera, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var objects = estimate.Poses.Select(p =>
        {
            var target = workcell.FindObject(p.ObjectId)!;
            return new ObjectAnswer(
                p.ObjectId,
                p.Estimate is { } e ? PoseReporting.ToCameraObject(e.Pose, target, workcell) : null,
                p.Estimate?.Confidence ?? 0,
                PoseMetrics.Label(p.Source),
                PoseMetrics.Label(p.FallbackReason));
        }).ToArray();
        return Task.FromResult(new FrameAnswer(
            objects,
            new FrameLatency(elapsed.TotalSeconds, estimate.Preprocess.TotalSeconds, estimate.Inference.TotalSeconds, estimate.Pnp.TotalSeconds, estimate.Baseline.TotalSeconds)));
    }
}
