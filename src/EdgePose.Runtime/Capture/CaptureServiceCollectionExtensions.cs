using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class CaptureServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates "EdgePose:Capture" and registers the capture service (hosted), its <see cref="ICaptureMonitor"/>
    /// and the <see cref="FrameChannel"/> the pipeline reads. Needs AddWorkcell and AddPoseMetrics.
    /// </summary>
    public static IServiceCollection AddCapture(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CaptureOptions>()
            .Bind(configuration.GetSection(CaptureOptions.SectionName))
            .ValidateDataAnnotations()
            .Requires(CaptureSourceKind.Video, nameof(CaptureOptions.VideoPath), o => o.VideoPath)
            .Requires(CaptureSourceKind.Images, nameof(CaptureOptions.ImagesDirectory), o => o.ImagesDirectory)
            .Requires(CaptureSourceKind.Camera, nameof(CaptureOptions.CameraDevice), o => o.CameraDevice)
            .Requires(CaptureSourceKind.Gstreamer, nameof(CaptureOptions.GstreamerPipeline), o => o.GstreamerPipeline)
            // Checked at start so the daemon exits with the reason instead of retrying a source that can never open.
            .Validate(o => o.Source != CaptureSourceKind.Gstreamer || OpenCvVideoBackends.GstreamerAvailable, GstreamerSource.UnavailableMessage)
            .Validate(
                o => o.ReconnectMaxDelay >= o.ReconnectInitialDelay,
                "EdgePose:Capture:ReconnectMaxDelay must not be shorter than EdgePose:Capture:ReconnectInitialDelay.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFrameSourceFactory, FrameSourceFactory>();
        services.AddSingleton(sp => new FrameChannel(
            sp.GetRequiredService<IOptions<CaptureOptions>>().Value.ChannelCapacity, sp.GetRequiredService<PoseMetrics>()));
        services.AddSingleton<CaptureService>();
        services.AddSingleton<ICaptureMonitor>(sp => sp.GetRequiredService<CaptureService>());
        services.AddHostedService(sp => sp.GetRequiredService<CaptureService>());
        return services;
    }

    private static OptionsBuilder<CaptureOptions> Requires(
        this OptionsBuilder<CaptureOptions> builder, CaptureSourceKind source, string setting, Func<CaptureOptions, string?> value) =>
        builder.Validate(
            o => o.Source != source || !string.IsNullOrWhiteSpace(value(o)),
            $"{CaptureOptions.SectionName}:{setting} is required when Source is {source}.");
}
