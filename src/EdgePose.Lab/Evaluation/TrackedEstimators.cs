using System.Diagnostics;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Tracking;

namespace EdgePose.Lab.Evaluation;

/// <summary>
/// The daemon's estimator and its tracker over a rendered sequence, as two estimators for <see cref="DatasetEvaluation"/>:
/// <see cref="Raw"/> estimates each frame and feeds the tracker, <see cref="Filtered"/> answers the same frame with the
/// tracker's pose. Frame i is captured at i / fps on the tracker's clock, so the filter sees the sequence's own timing
/// however fast this machine estimates.
/// </summary>
public sealed class TrackedEstimators
{
    private readonly IPoseEstimator _estimator;
    private readonly IPoseTracker _tracker;
    private readonly Workcell _workcell;
    private readonly double _framesPerSecond;
    private readonly Dictionary<(int ImageId, string ObjectId), RawPoseVerdict> _verdicts = [];
    private FrameAnswer? _filtered;

    public TrackedEstimators(string name, string description, IPoseEstimator estimator, IPoseTracker tracker, Workcell workcell, double framesPerSecond)
    {
        _estimator = estimator;
        _tracker = tracker;
        _workcell = workcell;
        _framesPerSecond = framesPerSecond;
        Raw = new Answerer(name, description, EstimateAsync);
        Filtered = new Answerer($"{name}_filtered", $"{description}, tracked", (_, _) =>
            Task.FromResult(_filtered ?? throw new InvalidOperationException("The filtered estimator answers the frame the raw one just estimated.")));
    }

    public IEvaluatedEstimator Raw { get; }

    public IEvaluatedEstimator Filtered { get; }

    /// <summary>What the tracker did with each frame's raw pose of each object.</summary>
    public IReadOnlyDictionary<(int ImageId, string ObjectId), RawPoseVerdict> Verdicts => _verdicts;

    private Task<FrameAnswer> EstimateAsync(EvaluationFrame frame, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var estimate = _estimator.Estimate(frame.Image, frame.Camera, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var tracked = _tracker.Update(estimate.Poses, CaptureTimestamp(frame.Frame.ImageId));
        var trackedElapsed = Stopwatch.GetElapsedTime(start);
        foreach (var pose in tracked)
        {
            _verdicts[(frame.Frame.ImageId, pose.ObjectId)] = pose.Track.Verdict;
        }

        _filtered = new FrameAnswer([.. tracked.Select(p => ObjectAnswer.Of(p, p.Track.Pose, _workcell))], FrameLatency.Of(trackedElapsed, estimate));
        return Task.FromResult(new FrameAnswer([.. tracked.Select(p => ObjectAnswer.Of(p, p.Estimate?.Pose, _workcell))], FrameLatency.Of(elapsed, estimate)));
    }

    /// <summary>Frame <paramref name="imageId"/>'s capture time on the system clock's scale: the tracker only ever takes differences.</summary>
    private long CaptureTimestamp(int imageId) => (long)Math.Round(imageId / _framesPerSecond * TimeProvider.System.TimestampFrequency);

    private sealed class Answerer(string name, string description, Func<EvaluationFrame, CancellationToken, Task<FrameAnswer>> answer) : IEvaluatedEstimator
    {
        public string Name { get; } = name;

        public string Description { get; } = description;

        public Task<FrameAnswer> EstimateAsync(EvaluationFrame frame, CancellationToken cancellationToken) => answer(frame, cancellationToken);
    }
}
