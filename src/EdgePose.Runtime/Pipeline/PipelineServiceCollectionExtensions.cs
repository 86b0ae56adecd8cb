using EdgePose.Runtime.Configuration;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>The fallback policy, the shared estimator, the latest-result store and the live loop.</summary>
    public static IServiceCollection AddPosePipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<PipelineOptions>(configuration, PipelineOptions.SectionName, static o =>
            FallbackPolicies.ByName.ContainsKey(o.FallbackPolicy)
                ? []
                : [SettingFailure.Format(
                    $"{PipelineOptions.SectionName}:FallbackPolicy", o.FallbackPolicy, $"must be one of {string.Join(", ", FallbackPolicies.ByName.Keys)}.")]);
        services.AddSingleton<PoseResultStore>();
        services.AddSingleton<IPoseResultStore>(sp => sp.GetRequiredService<PoseResultStore>());
        services.AddSingleton<IPoseEstimator, PoseEstimator>();
        services.AddHostedService<PipelineService>();
        return services;
    }

    /// <summary>Everything the runtime needs, in dependency order: workcell, metrics, capture, baseline, model, pipeline.</summary>
    public static IServiceCollection AddEdgePoseRuntime(this IServiceCollection services, IConfiguration configuration) =>
        services
            .AddWorkcell(configuration)
            .AddPoseMetrics()
            .AddCapture(configuration)
            .AddBaseline(configuration)
            .AddInference(configuration)
            .AddPosePipeline(configuration);
}
