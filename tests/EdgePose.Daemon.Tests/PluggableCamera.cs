using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Scene;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenCvSharp;

namespace EdgePose.Daemon.Tests;

/// <summary>
/// Stands in for a USB camera, the one thing that cannot exist here: it can be unplugged and plugged back in.
/// Frames are plain grey images at ~30 fps.
/// </summary>
public sealed class PluggableCamera : IFrameSourceFactory
{
    private readonly ManualResetEventSlim _responsive = new(initialState: true);
    private volatile bool _pluggedIn;

    public PluggableCamera(bool pluggedIn) => _pluggedIn = pluggedIn;

    public bool PluggedIn
    {
        get => _pluggedIn;
        set => _pluggedIn = value;
    }

    /// <summary>A driver stuck in a read: Read blocks, ignoring cancellation as a native call would, until this is false again.</summary>
    public bool Hung
    {
        get => !_responsive.IsSet;
        set
        {
            if (value)
            {
                _responsive.Reset();
            }
            else
            {
                _responsive.Set();
            }
        }
    }

    public IFrameSource Create() => new Device(this);

    public void Install(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<IFrameSourceFactory>(this));

    private sealed class Device(PluggableCamera owner) : IFrameSource
    {
        public string Description => "test camera /dev/video-test";

        public double NominalFramesPerSecond => 30;

        public void Open()
        {
            if (!owner.PluggedIn)
            {
                throw new CaptureUnavailableException("test camera is unplugged");
            }
        }

        public ReadOutcome Read(Mat destination, out SceneTruth? truth, CancellationToken cancellationToken)
        {
            truth = null;
            owner._responsive.Wait(CancellationToken.None);
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(33));
            if (!owner.PluggedIn)
            {
                return ReadOutcome.Failed;
            }

            destination.Create(480, 640, MatType.CV_8UC3);
            destination.SetTo(new Scalar(90, 90, 90));
            return ReadOutcome.Frame;
        }

        public void Dispose()
        {
        }
    }
}
