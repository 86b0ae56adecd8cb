using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>What the loaded OpenCV native library can capture with; the packaged x64 runtime, for one, has no GStreamer.</summary>
internal static class OpenCvVideoBackends
{
    private static readonly Lazy<bool> s_gstreamer = new(() => HasGstreamer(Cv2.GetBuildInformation()));

    public static bool GstreamerAvailable => s_gstreamer.Value;

    /// <summary>Reads the "Video I/O" section of <see cref="Cv2.GetBuildInformation"/>, where a build lists "GStreamer: YES (version)" or "NO", or omits it.</summary>
    public static bool HasGstreamer(string buildInformation) =>
        buildInformation.Split('\n')
            .Select(line => line.Trim())
            .Any(line => line.StartsWith("GStreamer:", StringComparison.OrdinalIgnoreCase)
                && line["GStreamer:".Length..].TrimStart().StartsWith("YES", StringComparison.OrdinalIgnoreCase));
}
