using EdgePose.Runtime.BoardHealth;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

public static class BoardHealthServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates "EdgePose:BoardHealth" and exports the Jetson's board health (GPU load, memory, temperatures,
    /// power rails) on the pose metrics registry where the board provides it. Needs AddPoseMetrics.
    /// </summary>
    public static IServiceCollection AddJetsonBoardHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<BoardHealthOptions>(configuration, BoardHealthOptions.SectionName);
        services.AddHostedService<JetsonBoardHealth>();
        return services;
    }
}
