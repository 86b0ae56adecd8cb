using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>Reading rules shared by live devices, which, unlike files, never end.</summary>
internal static class LiveCapture
{
    /// <summary>No image from a live device means it failed: unplugged, driver timeout or pipeline error.</summary>
    public static ReadOutcome Read(VideoCapture? capture, Mat destination)
    {
        if (capture is null)
        {
            throw new InvalidOperationException("Open the capture source before reading from it.");
        }

        return capture.Read(destination) && !destination.Empty() ? ReadOutcome.Frame : ReadOutcome.Failed;
    }
}
