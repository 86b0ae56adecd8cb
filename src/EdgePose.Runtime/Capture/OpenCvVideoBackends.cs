using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>What the loaded OpenCV native library can capture with; the packaged x64 runtime, for one, has no GStreamer.</summary>
internal static class OpenCvVideoBackends
{
    private static readonly Lazy<IReadOnlyList<string>> s_enabled = new(() => EnabledIn(Cv2.GetBuildInformation()));

    /// <summary>Backends of the "Video I/O:" block marked YES (or with a version), e.g. FFMPEG, v4l/v4l2.</summary>
    public static IReadOnlyList<string> Enabled => s_enabled.Value;

    public static bool GstreamerAvailable => Enabled.Contains("GStreamer", StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads the "Video I/O" section of <see cref="Cv2.GetBuildInformation"/>, where a build lists "GStreamer: YES (version)" or "NO", or omits it.</summary>
    public static IReadOnlyList<string> EnabledIn(string buildInformation)
    {
        var enabled = new List<string>();
        var inVideo = false;
        foreach (var line in buildInformation.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("Video I/O:", StringComparison.Ordinal))
            {
                inVideo = true;
                continue;
            }

            if (!inVideo)
            {
                continue;
            }

            // The block ends at the next section header (two-space indent) or a blank line.
            if (trimmed.Length == 0 || !line.StartsWith("    ", StringComparison.Ordinal))
            {
                break;
            }

            // Deeper-indented lines are a backend's libraries (avcodec, …), not backends.
            var colon = trimmed.IndexOf(':');
            if (!line.StartsWith("      ", StringComparison.Ordinal) && colon > 0 && !trimmed[(colon + 1)..].Trim().StartsWith("NO", StringComparison.OrdinalIgnoreCase))
            {
                enabled.Add(trimmed[..colon].Trim());
            }
        }

        return enabled;
    }
}
