using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Objects;
using OpenCvSharp;

namespace EdgePose.Runtime.Scene;

/// <summary>The <c>synthetic</c> camera: renders the configured trajectory frame by frame, paced to the configured rate.</summary>
public sealed class SyntheticFrameSource : IFrameSource
{
    private readonly SyntheticSceneRenderer _renderer;
    private readonly TimeProvider _timeProvider;
    private long _nextIndex;
    private FramePacer? _pacer;

    public SyntheticFrameSource(SyntheticSceneOptions options, Workcell workcell, TimeProvider timeProvider)
    {
        _renderer = new SyntheticSceneRenderer(options, workcell.Camera, workcell.Objects);
        _timeProvider = timeProvider;
        NominalFramesPerSecond = options.FramesPerSecond;
        Description = $"synthetic {workcell.Camera.Width}x{workcell.Camera.Height}@{options.FramesPerSecond:0.##} seed {options.Seed}";
    }

    public string Description { get; }

    public double NominalFramesPerSecond { get; }

    public bool IsSynthetic => true;

    public void Open() => _pacer = new FramePacer(NominalFramesPerSecond, _timeProvider);

    public ReadOutcome Read(Mat destination, out SceneTruth? truth, CancellationToken cancellationToken)
    {
        if (_pacer is null)
        {
            throw new InvalidOperationException("Open the synthetic source before reading from it.");
        }

        using (var scene = _renderer.Render(_nextIndex++))
        {
            scene.Image.CopyTo(destination);
            truth = scene.Truth;
        }

        _pacer.WaitForSlot(cancellationToken);
        return ReadOutcome.Frame;
    }

    public void Dispose() => _renderer.Dispose();
}
