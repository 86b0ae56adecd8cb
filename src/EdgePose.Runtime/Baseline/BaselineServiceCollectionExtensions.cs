using EdgePose.Runtime.Baseline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class BaselineServiceCollectionExtensions
{
    /// <summary>Binds and validates "EdgePose:Baseline" and registers the ArUco <see cref="IBaselineEstimator"/>.</summary>
    public static IServiceCollection AddBaseline(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BaselineOptions>()
            .Bind(configuration.GetSection(BaselineOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => Enum.IsDefined(o.CornerRefinement), "EdgePose:Baseline:CornerRefinement is not a known corner refinement method.")
            .ValidateOnStart();
        services.AddSingleton<IBaselineEstimator>(sp => new ArucoBaselineEstimator(sp.GetRequiredService<IOptions<BaselineOptions>>().Value));
        return services;
    }
}
