namespace EdgePose.Runtime.Capture;

/// <summary>
/// A capture source that lives outside the runtime (the simulation's synthetic camera), registered in DI and chosen like
/// the built-in ones by <see cref="CaptureOptions.Source"/>.
/// </summary>
public interface IFrameSourcePlugin
{
    CaptureSourceKind Kind { get; }

    /// <summary>A fresh, unopened source, as <see cref="IFrameSourceFactory.Create"/>.</summary>
    IFrameSource Create();
}
