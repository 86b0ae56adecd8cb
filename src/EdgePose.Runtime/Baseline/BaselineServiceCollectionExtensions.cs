using EdgePose.Runtime.Baseline;
using EdgePose.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class BaselineServiceCollectionExtensions
{
    /// <summary>Binds and validates "EdgePose:Baseline" and registers the ArUco <see cref="IBaselineEstimator"/>.</summary>
    public static IServiceCollection AddBaseline(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<BaselineOptions>(configuration, BaselineOptions.SectionName, static o =>
            Enum.IsDefined(o.CornerRefinement)
                ? []
                : [SettingFailure.Format($"{BaselineOptions.SectionName}:CornerRefinement", o.CornerRefinement, $"must be one of {string.Join(", ", Enum.GetNames(o.CornerRefinement.GetType()))}.")]);
        services.AddSingleton<IBaselineEstimator>(sp => new ArucoBaselineEstimator(sp.GetRequiredService<IOptions<BaselineOptions>>().Value));
        return services;
    }
}
