namespace EdgePose.Runtime.Capture;

/// <summary>Creates a fresh, unopened source for every (re)connect attempt.</summary>
public interface IFrameSourceFactory
{
    IFrameSource Create();
}
