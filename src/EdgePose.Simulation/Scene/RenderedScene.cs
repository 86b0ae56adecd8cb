using OpenCvSharp;

namespace EdgePose.Simulation.Scene;

/// <summary>One rendered frame: a BGR 8UC3 image of the camera's size, owned by this instance, and its exact labels.</summary>
public sealed class RenderedScene(Mat image, SceneTruth truth) : IDisposable
{
    public Mat Image { get; } = image;

    public SceneTruth Truth { get; } = truth;

    public void Dispose() => Image.Dispose();
}
