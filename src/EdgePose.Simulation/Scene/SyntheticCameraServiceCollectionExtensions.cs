using EdgePose.Core.Objects;
using EdgePose.Runtime.Capture;
using EdgePose.Simulation.Scene;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class SyntheticCameraServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates "EdgePose:Capture:Synthetic" and plugs the synthetic camera into capture, where
    /// EdgePose:Capture:Source = Synthetic selects it. Needs AddWorkcell.
    /// </summary>
    public static IServiceCollection AddSyntheticCamera(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<SyntheticSceneOptions>(configuration, SyntheticSceneOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFrameSourcePlugin, SyntheticCameraPlugin>());
        return services;
    }

    private sealed class SyntheticCameraPlugin(IOptions<SyntheticSceneOptions> options, Workcell workcell, TimeProvider timeProvider) : IFrameSourcePlugin
    {
        public CaptureSourceKind Kind => CaptureSourceKind.Synthetic;

        public IFrameSource Create() => new SyntheticFrameSource(options.Value, workcell, timeProvider);
    }
}
