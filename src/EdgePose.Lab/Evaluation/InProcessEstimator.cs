using System.Diagnostics;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePose.Lab.Evaluation;

/// <summary>The daemon's own <see cref="IPoseEstimator"/> under one policy; end-to-end latency is the wall time of Estimate.</summary>
public sealed class InProcessEstimator(string name, string description, IPoseEstimator estimator, Workcell workcell) : IEvaluatedEstimator
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    /// <summary>
    /// A <see cref="PoseEstimator"/> over <paramref name="services"/>' workcell, baseline and model host, but with
    /// <paramref name="policy"/> instead of the configured one: several policies share one loaded model. The other
    /// pipeline settings (model latency budget and any added later) stay as configured.
    /// </summary>
    public static IPoseEstimator CreateEstimator(IServiceProvider services, FallbackPolicy policy)
    {
        var configured = services.GetRequiredService<IOptions<PipelineOptions>>().Value;
        return ActivatorUtilities.CreateInstance<PoseEstimator>(services, Options.Create(configured with { FallbackPolicy = policy }));
    }

    public Task<FrameAnswer> EstimateAsync(EvaluationFrame frame, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var estimate = estimator.Estimate(frame.Image, frame.Camera, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return Task.FromResult(new FrameAnswer([.. estimate.Poses.Select(p => ObjectAnswer.Of(p, p.Estimate?.Pose, workcell))], FrameLatency.Of(elapsed, estimate)));
    }
}
