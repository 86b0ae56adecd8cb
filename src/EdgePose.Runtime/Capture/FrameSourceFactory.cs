using EdgePose.Runtime.Objects;
using EdgePose.Runtime.Scene;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Capture;

/// <summary>Builds the source that <see cref="CaptureOptions.Source"/> selects; options validation has checked its settings.</summary>
internal sealed class FrameSourceFactory(
    IOptions<CaptureOptions> options, Workcell workcell, TimeProvider timeProvider, ILoggerFactory loggerFactory) : IFrameSourceFactory
{
    public IFrameSource Create()
    {
        var o = options.Value;
        return o.Source switch
        {
            CaptureSourceKind.Synthetic => new SyntheticFrameSource(o.Synthetic, workcell, timeProvider),
            CaptureSourceKind.Video => new VideoFileSource(
                o.VideoPath!, o.Loop, o.FramesPerSecond, timeProvider, loggerFactory.CreateLogger<VideoFileSource>()),
            CaptureSourceKind.Images => new ImageFolderSource(
                o.ImagesDirectory!, o.Loop, o.FramesPerSecond, timeProvider, loggerFactory.CreateLogger<ImageFolderSource>()),
            CaptureSourceKind.Camera => new CameraSource(o.CameraDevice!, o.Width, o.Height, o.FramesPerSecond),
            CaptureSourceKind.Gstreamer => new GstreamerSource(o.GstreamerPipeline!),
            _ => throw new InvalidOperationException($"EdgePose:Capture:Source '{o.Source}' is not a known source."),
        };
    }
}
