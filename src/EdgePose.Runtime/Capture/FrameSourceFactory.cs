using EdgePose.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Capture;

/// <summary>
/// Builds the source that <see cref="CaptureOptions.Source"/> selects, from the runtime's own sources or a plugged-in one;
/// options validation has checked its settings and that a plugged-in kind is registered.
/// </summary>
internal sealed class FrameSourceFactory(
    IOptions<CaptureOptions> options, IEnumerable<IFrameSourcePlugin> plugins, TimeProvider timeProvider, ILoggerFactory loggerFactory) : IFrameSourceFactory
{
    public IFrameSource Create()
    {
        var o = options.Value;
        return o.Source switch
        {
            CaptureSourceKind.Video => new VideoFileSource(
                o.VideoPath!, o.Loop, o.FramesPerSecond, timeProvider, loggerFactory.CreateLogger<VideoFileSource>()),
            CaptureSourceKind.Images => new ImageFolderSource(
                o.ImagesDirectory!, o.Loop, o.FramesPerSecond, timeProvider, loggerFactory.CreateLogger<ImageFolderSource>()),
            CaptureSourceKind.Camera => new CameraSource(o.CameraDevice!, o.Width, o.Height, o.FramesPerSecond),
            CaptureSourceKind.Gstreamer => new GstreamerSource(o.GstreamerPipeline!),
            _ => plugins.FirstOrDefault(p => p.Kind == o.Source)?.Create()
                ?? throw new InvalidOperationException($"EdgePose:Capture:Source '{o.Source}' is not a known source."),
        };
    }
}

/// <summary>
/// A source kind no part of this program provides (Synthetic without the simulation plugged in) is a configuration error
/// at start, not a capture loop that retries forever.
/// </summary>
internal sealed class PluggedSourceValidation(IEnumerable<IFrameSourcePlugin> plugins) : IValidateOptions<CaptureOptions>
{
    private static readonly CaptureSourceKind[] BuiltIn =
        [CaptureSourceKind.Video, CaptureSourceKind.Images, CaptureSourceKind.Camera, CaptureSourceKind.Gstreamer];

    public ValidateOptionsResult Validate(string? name, CaptureOptions options) =>
        BuiltIn.Contains(options.Source) || plugins.Any(p => p.Kind == options.Source)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(SettingFailure.Format(
                $"{CaptureOptions.SectionName}:Source", options.Source, $"this program has no {options.Source} source; use one of {string.Join(", ", BuiltIn)}."));
}
