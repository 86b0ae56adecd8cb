using EdgePose.Runtime.Baseline;
using EdgePose.Core.Configuration;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class BaselineServiceCollectionExtensions
{
    /// <summary>Binds and validates "EdgePose:Baseline" and registers the ArUco <see cref="IBaselineEstimator"/> (one for the live loop, one for on-demand requests).</summary>
    public static IServiceCollection AddBaseline(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<BaselineOptions>(configuration, BaselineOptions.SectionName, static o =>
            Enum.IsDefined(o.CornerRefinement)
                ? []
                : [SettingFailure.Format($"{BaselineOptions.SectionName}:CornerRefinement", o.CornerRefinement, $"must be one of {string.Join(", ", Enum.GetNames(o.CornerRefinement.GetType()))}.")]);
        services.AddSingleton<IBaselineEstimator>(sp => Create(sp, searchNearLastSeen: true));
        // A second detector (and grey buffer) for on-demand requests, so they never queue on the live loop's. Their images
        // are unrelated to each other: each is searched whole, so the same image always gives the same answer.
        services.AddKeyedSingleton<IBaselineEstimator>(
            PoseEstimators.OnDemand, (sp, _) => Create(sp, searchNearLastSeen: false));
        return services;
    }

    private static ArucoBaselineEstimator Create(IServiceProvider services, bool searchNearLastSeen) => new(
        services.GetRequiredService<IOptions<BaselineOptions>>().Value,
        services.GetRequiredService<IOptions<InferenceOptions>>().Value.Tolerance,
        searchNearLastSeen);
}
