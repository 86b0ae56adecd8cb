using System.ComponentModel.DataAnnotations;
using EdgePose.Runtime.Scene;

namespace EdgePose.Runtime.Capture;

public enum CaptureSourceKind
{
    /// <summary>Rendered frames with ground truth; needs no hardware.</summary>
    Synthetic,
    /// <summary>A video file read with FFmpeg.</summary>
    Video,
    /// <summary>A folder of still images, in file-name order.</summary>
    Images,
    /// <summary>A V4L2 camera (USB/CSI through the kernel driver).</summary>
    Camera,
    /// <summary>A GStreamer pipeline ending in appsink (Jetson CSI cameras); needs an OpenCV built with GStreamer.</summary>
    Gstreamer,
}

/// <summary>Configuration section "EdgePose:Capture": where frames come from and how a failing source is retried.</summary>
public sealed class CaptureOptions
{
    public const string SectionName = "EdgePose:Capture";

    public CaptureSourceKind Source { get; set; } = CaptureSourceKind.Synthetic;

    /// <summary>
    /// Synthetic frames serve poses of a rendered scene, not of the workcell: refused at start unless this is true
    /// (development mode sets it). Results, status and metrics say when the source is synthetic.
    /// </summary>
    public bool AllowSynthetic { get; set; }

    public string? VideoPath { get; set; }

    public string? ImagesDirectory { get; set; }

    /// <summary>Video and image sources start again from the beginning at their end instead of ending.</summary>
    public bool Loop { get; set; } = true;

    /// <summary>A device path ("/dev/video0") or a V4L2 index ("0").</summary>
    public string? CameraDevice { get; set; }

    /// <summary>Requested camera width; the driver may pick the nearest mode it supports.</summary>
    [Range(16, 8192)]
    public int Width { get; set; } = 640;

    [Range(16, 8192)]
    public int Height { get; set; } = 480;

    /// <summary>Requested camera rate; also the replay rate of image folders and of videos that do not state their own.</summary>
    [Range(0.1, 1000)]
    public double FramesPerSecond { get; set; } = 30;

    /// <summary>A pipeline ending in "appsink", e.g. "nvarguscamerasrc ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! appsink".</summary>
    public string? GstreamerPipeline { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(0.5);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Frames waiting for the pipeline; older ones are dropped so the pipeline always works on the newest.</summary>
    [Range(1, 1000)]
    public int ChannelCapacity { get; set; } = 2;

    /// <summary>A source that delivers no frame for this long (or for three frame periods, if longer) counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A device call (open or read) blocked this long is hung for good: the systemd watchdog stops being fed, so systemd
    /// restarts the daemon and a fresh process reopens the device. Shorter outages are reconnected from within.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HungDeviceLimit { get; set; } = TimeSpan.FromSeconds(30);

    public SyntheticSceneOptions Synthetic { get; set; } = new();
}
