using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Configuration;
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
        services.BindAndValidateSection<CaptureOptions>(configuration, CaptureOptions.SectionName, CrossFieldRules);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFrameSourceFactory, FrameSourceFactory>();
        services.AddSingleton(sp => new FrameChannel(
            sp.GetRequiredService<IOptions<CaptureOptions>>().Value.ChannelCapacity, sp.GetRequiredService<PoseMetrics>()));
        services.AddSingleton<CaptureService>();
        services.AddSingleton<ICaptureMonitor>(sp => sp.GetRequiredService<CaptureService>());
        services.AddHostedService(sp => sp.GetRequiredService<CaptureService>());
        return services;
    }

    private static IEnumerable<string> CrossFieldRules(CaptureOptions o)
    {
        var required = o.Source switch
        {
            CaptureSourceKind.Video => (nameof(CaptureOptions.VideoPath), o.VideoPath),
            CaptureSourceKind.Images => (nameof(CaptureOptions.ImagesDirectory), o.ImagesDirectory),
            CaptureSourceKind.Camera => (nameof(CaptureOptions.CameraDevice), o.CameraDevice),
            CaptureSourceKind.Gstreamer => (nameof(CaptureOptions.GstreamerPipeline), o.GstreamerPipeline),
            _ => ((string Setting, string? Value)?)null,
        };
        if (required is { } r && string.IsNullOrWhiteSpace(r.Value))
        {
            yield return SettingFailure.Format($"{CaptureOptions.SectionName}:{r.Setting}", r.Value, $"is required when Source is {o.Source}.");
        }

        if (o.Source == CaptureSourceKind.Synthetic && !o.AllowSynthetic)
        {
            yield return SettingFailure.Format(
                $"{CaptureOptions.SectionName}:Source",
                o.Source,
                $"serves poses of a rendered scene, not of a camera; set a real source, or {CaptureOptions.SectionName}:{nameof(CaptureOptions.AllowSynthetic)}=true (DOTNET_ENVIRONMENT=Development sets it) to serve pretend poses on purpose.");
        }

        // Checked at start so the daemon exits with the reason instead of retrying a source that can never open.
        if (o.Source == CaptureSourceKind.Gstreamer && !OpenCvVideoBackends.GstreamerAvailable)
        {
            yield return SettingFailure.Format($"{CaptureOptions.SectionName}:Source", o.Source, GstreamerSource.UnavailableMessage);
        }

        if (o.ReconnectMaxDelay < o.ReconnectInitialDelay)
        {
            yield return SettingFailure.Format(
                $"{CaptureOptions.SectionName}:ReconnectMaxDelay", o.ReconnectMaxDelay, "must not be shorter than EdgePose:Capture:ReconnectInitialDelay.");
        }
    }
}
