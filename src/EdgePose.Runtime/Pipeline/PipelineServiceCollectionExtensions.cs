using EdgePose.Runtime.Baseline;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Configuration;
using Prometheus;

namespace Microsoft.Extensions.DependencyInjection;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>The fallback policy, the shared estimator and the latest-result store.</summary>
    public static IServiceCollection AddPosePipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<PipelineOptions>(configuration, PipelineOptions.SectionName);
        services.AddSingleton<PoseResultStore>();
        services.AddSingleton<IPoseResultStore>(sp => sp.GetRequiredService<PoseResultStore>());
        services.AddSingleton<IPoseEstimator, PoseEstimator>();
        services.AddKeyedSingleton<IPoseEstimator>(PoseEstimators.OnDemand, (sp, key) =>
            ActivatorUtilities.CreateInstance<PoseEstimator>(sp, sp.GetRequiredKeyedService<IBaselineEstimator>(key)));
        services.AddSingleton<LiveFrameTap>();
        return services;
    }

    /// <summary>
    /// What estimating poses in an image needs — workcell, metrics, baseline, model, estimator and store — without a camera:
    /// the daemon adds capture on top; batch tools (eval, benchmarks) use it as is and never start the live loop.
    /// </summary>
    /// <param name="registry">Where the metrics go; the process-wide default registry when null.</param>
    public static IServiceCollection AddPoseEstimation(this IServiceCollection services, IConfiguration configuration, CollectorRegistry? registry = null) =>
        services
            .AddWorkcell(configuration)
            .AddPoseMetrics(registry)
            .AddBaseline(configuration)
            .AddInference(configuration)
            .AddPosePipeline(configuration);

    /// <summary>
    /// Everything the live runtime needs: <see cref="AddPoseEstimation"/>, the camera, failure capture and the live loop.
    /// Capture and the failure writer are registered first so that they start before the loop that feeds on and into them and stop after it.
    /// </summary>
    public static IServiceCollection AddEdgePoseRuntime(this IServiceCollection services, IConfiguration configuration, CollectorRegistry? registry = null) =>
        services.AddPoseEstimation(configuration, registry).AddCapture(configuration).AddFailureCapture(configuration).AddHostedService<PipelineService>();
}
