using System.Diagnostics;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Tracking;

namespace EdgePose.Lab.Evaluation;

/// <summary>
/// The daemon's estimator and its tracker over a rendered sequence, as two estimators for <see cref="DatasetEvaluation"/>:
/// <see cref="Raw"/> estimates each frame and feeds the tracker, <see cref="Filtered"/> answers the same frame with the
/// tracker's pose. Frame i is captured at i / fps on the tracker's clock, so the filter sees the sequence's own timing
/// however fast this machine estimates. With an injection rate, that share of found raw poses is replaced, before the
/// tracker sees it, by a gross error: half a turn about one of the object's axes in place (a box's look-alike flip), or
/// a jump of 3 to 10 cm; the raw stream reports the replaced pose, so both streams are scored on the same input.
/// </summary>
public sealed class TrackedEstimators
{
    private readonly IPoseEstimator _estimator;
    private readonly IPoseTracker _tracker;
    private readonly Workcell _workcell;
    private readonly double _framesPerSecond;
    private readonly double _injectionRate;
    private readonly Random _injection;
    private readonly Dictionary<(int ImageId, string ObjectId), RawPoseVerdict> _verdicts = [];
    private FrameAnswer? _filtered;

    /// <param name="injectionRate">Share of found raw poses replaced by a gross error (0: none).</param>
    /// <param name="injectionSeed">The same seed injects the same errors into the same frames.</param>
    public TrackedEstimators(
        string name, string description, IPoseEstimator estimator, IPoseTracker tracker, Workcell workcell, double framesPerSecond,
        double injectionRate = 0, int injectionSeed = 1)
    {
        _injectionRate = injectionRate;
        _injection = new Random(injectionSeed);
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

    /// <summary>Raw poses replaced by an injected gross error.</summary>
    public int Injected { get; private set; }

    /// <summary>What the tracker did with each frame's raw pose of each object.</summary>
    public IReadOnlyDictionary<(int ImageId, string ObjectId), RawPoseVerdict> Verdicts => _verdicts;

    private Task<FrameAnswer> EstimateAsync(EvaluationFrame frame, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var estimate = _estimator.Estimate(frame.Image, frame.Camera, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var tracked = _tracker.Update([.. estimate.Poses.Select(Inject)], CaptureTimestamp(frame.Frame.ImageId));
        var trackedElapsed = Stopwatch.GetElapsedTime(start);
        foreach (var pose in tracked)
        {
            _verdicts[(frame.Frame.ImageId, pose.ObjectId)] = pose.Track.Verdict;
        }

        _filtered = new FrameAnswer([.. tracked.Select(p => ObjectAnswer.Of(p, p.Track.Pose, _workcell))], FrameLatency.Of(trackedElapsed, estimate));
        return Task.FromResult(new FrameAnswer([.. tracked.Select(p => ObjectAnswer.Of(p, p.Estimate?.Pose, _workcell))], FrameLatency.Of(elapsed, estimate)));
    }

    private ObjectPose Inject(ObjectPose pose)
    {
        if (pose.Estimate is not { } estimate || _injectionRate == 0 || _injection.NextDouble() >= _injectionRate)
        {
            return pose;
        }

        Injected++;
        var axis = _injection.Next(3);
        var injected = _injection.NextDouble() < 0.5
            ? estimate.Pose * new RigidTransform(Rotation3.FromAxisAngle(new Vec3(axis == 0 ? 1 : 0, axis == 1 ? 1 : 0, axis == 2 ? 1 : 0), Math.PI), Vec3.Zero)
            : estimate.Pose with { Translation = estimate.Pose.Translation + (RandomDirection() * (0.03 + (0.07 * _injection.NextDouble()))) };
        return pose with { Estimate = estimate with { Pose = injected } };
    }

    private Vec3 RandomDirection()
    {
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - _injection.NextDouble())) * Math.Cos(2 * Math.PI * _injection.NextDouble());
        return new Vec3(Normal(), Normal(), Normal()).Normalized();
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
