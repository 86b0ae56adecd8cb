using System.Collections.Immutable;
using EdgePose.Runtime.Baseline;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Metrics;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace EdgePose.Runtime.Pipeline;

/// <summary>Every configured object's pose in one image, and how long each stage took.</summary>
public sealed record FrameEstimate(
    ImmutableArray<ObjectPose> Poses,
    TimeSpan Preprocess,
    TimeSpan Inference,
    TimeSpan Pnp,
    TimeSpan Baseline);

/// <summary>
/// The model/fallback decision for one image. The live pipeline, the EstimatePose RPC and the evaluation all go
/// through this one path, so what is measured is what is served.
/// </summary>
public interface IPoseEstimator
{
    FallbackPolicy Policy { get; }

    /// <param name="camera">Intrinsics of <paramref name="image"/>'s camera; scaled here when the image size differs.</param>
    /// <param name="cancellationToken">Checked between stages (before each model run and before the baseline).</param>
    FrameEstimate Estimate(Mat image, CameraIntrinsics camera, CancellationToken cancellationToken = default);
}

/// <summary>Service keys of the estimators.</summary>
public static class PoseEstimators
{
    /// <summary>
    /// The estimator behind EstimatePose: its own baseline detector and model buffers, so a client's image never waits
    /// for the live loop's lock or buffer, nor the live loop for the client's.
    /// </summary>
    public const string OnDemand = "on-demand";
}

internal sealed partial class PoseEstimator : IPoseEstimator
{
    private readonly Workcell _workcell;
    private readonly IBaselineEstimator _baseline;
    private readonly IModelHost _modelHost;
    private readonly PoseMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<PoseEstimator> _logger;
    private readonly TimeSpan _modelBudget;
    private readonly double _confidenceThreshold;
    private readonly BaselineScheduling _baselineScheduling;

    // Whether the last frame needed the baseline: the guess BaselineScheduling.BesideModelAfterFallback acts on. Concurrent
    // on-demand calls share it; a guess overwritten by another call only costs a wasted or a sequential baseline.
    private volatile bool _lastFrameNeededBaseline;

    public PoseEstimator(
        Workcell workcell,
        IBaselineEstimator baseline,
        IModelHost modelHost,
        IOptions<PipelineOptions> options,
        IOptions<InferenceOptions> inferenceOptions,
        PoseMetrics metrics,
        TimeProvider timeProvider,
        ILogger<PoseEstimator> logger)
    {
        _workcell = workcell;
        _baseline = baseline;
        _modelHost = modelHost;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
        _modelBudget = options.Value.ModelLatencyBudget;
        _confidenceThreshold = inferenceOptions.Value.ConfidenceThreshold;
        _baselineScheduling = options.Value.BaselineScheduling;
        Policy = options.Value.FallbackPolicy;
    }

    public FallbackPolicy Policy { get; }

    public FrameEstimate Estimate(Mat image, CameraIntrinsics camera, CancellationToken cancellationToken = default)
    {
        camera = camera.ScaledTo(image.Width, image.Height);
        var frame = new FrameWork(this, image, camera, cancellationToken);
        var besideModel = Policy == FallbackPolicy.ModelWithFallback
            && _baselineScheduling == BaselineScheduling.BesideModelAfterFallback
            && _lastFrameNeededBaseline;
        if (besideModel)
        {
            frame.StartBaseline();
        }

        var poses = ImmutableArray.CreateBuilder<ObjectPose>(_workcell.Objects.Length);
        try
        {
            for (var i = 0; i < _workcell.Objects.Length; i++)
            {
                poses.Add(frame.Decide(i));
            }
        }
        finally
        {
            // The caller may dispose the image once this returns: a baseline started beside the model must be done with it.
            frame.WaitForBaseline();
        }

        _lastFrameNeededBaseline = frame.BaselineNeeded;
        return new FrameEstimate(poses.MoveToImmutable(), frame.Preprocess, frame.Inference, frame.Pnp, frame.BaselineTime);
    }

    /// <summary>State of one image: the baseline runs at most once, and only when the policy needs it (or beside the model).</summary>
    private sealed class FrameWork(PoseEstimator owner, Mat image, CameraIntrinsics camera, CancellationToken cancellationToken)
    {
        private readonly RigidTransform?[] _modelPoses = new RigidTransform?[owner._workcell.Objects.Length];
        private ImmutableArray<PoseEstimate?> _baseline;
        private Task<(ImmutableArray<PoseEstimate?> Poses, TimeSpan Elapsed)>? _besideModel;

        public TimeSpan Preprocess { get; private set; }

        public TimeSpan Inference { get; private set; }

        public TimeSpan Pnp { get; private set; }

        public TimeSpan BaselineTime { get; private set; }

        /// <summary>Whether a decision asked for the baseline (whether or not it had already started).</summary>
        public bool BaselineNeeded { get; private set; }

        /// <summary>
        /// Runs the baseline while this thread runs the model, on the caller's scheduler: the live loop's own threads for the
        /// live loop, so a fallback frame never waits for a pool thread behind request work; the thread pool for EstimatePose
        /// and batch tools.
        /// </summary>
        public void StartBaseline() =>
            _besideModel = Task.Factory.StartNew(() => RunBaseline(), cancellationToken, TaskCreationOptions.DenyChildAttach, TaskScheduler.Current);

        public void WaitForBaseline()
        {
            if (_besideModel is { IsCompleted: false } running)
            {
                ((IAsyncResult)running).AsyncWaitHandle.WaitOne();
            }
        }

        public ObjectPose Decide(int index)
        {
            var target = owner._workcell.Objects[index];
            switch (owner.Policy)
            {
                case FallbackPolicy.BaselineOnly:
                    return FromBaseline(index, FallbackReason.PolicyBaselineOnly);
                case FallbackPolicy.PreferBaselineWhenMarkerVisible when BaselineFor(index) is not null:
                    return FromBaseline(index, FallbackReason.PolicyMarkerVisible);
            }

            var (estimate, reason) = RunModel(index);
            if (reason == FallbackReason.None)
            {
                return Report(target, estimate, PoseSource.Model, FallbackReason.None);
            }

            if (owner.Policy == FallbackPolicy.ModelOnly)
            {
                return Report(target, null, PoseSource.None, reason);
            }

            // The policy never serves a pose it rejected: if the baseline cannot answer either, the object is not found.
            return FromBaseline(index, reason);
        }

        private ObjectPose FromBaseline(int index, FallbackReason reason)
        {
            var estimate = BaselineFor(index);
            return Report(owner._workcell.Objects[index], estimate, estimate is null ? PoseSource.None : PoseSource.Baseline, reason);
        }

        private PoseEstimate? BaselineFor(int index)
        {
            BaselineNeeded = true;
            if (_baseline.IsDefault)
            {
                cancellationToken.ThrowIfCancellationRequested();
                (_baseline, BaselineTime) = _besideModel is { } started ? started.GetAwaiter().GetResult() : RunBaseline([.. _modelPoses]);
            }

            return _baseline[index];
        }

        /// <param name="expectedPoses">The model's poses so far, served or not: the live baseline searches there first.</param>
        private (ImmutableArray<PoseEstimate?> Poses, TimeSpan Elapsed) RunBaseline(ImmutableArray<RigidTransform?> expectedPoses = default)
        {
            var start = owner._time.GetTimestamp();
            try
            {
                return (owner._baseline.Estimate(image, camera, owner._workcell.Objects, expectedPoses), owner._time.GetElapsedTime(start));
            }
            catch (Exception ex) when (ex is OpenCVException or InvalidOperationException or ArgumentException)
            {
                owner._metrics.Error(PoseMetrics.StageBaseline);
                LogBaselineFailed(owner._logger, ex);
                return ([.. Enumerable.Repeat<PoseEstimate?>(null, owner._workcell.Objects.Length)], owner._time.GetElapsedTime(start));
            }
        }

        private (PoseEstimate? Estimate, FallbackReason Reason) RunModel(int index)
        {
            var target = owner._workcell.Objects[index];
            var model = owner._modelHost.Current;
            if (model is null || !model.Handles(target.Id))
            {
                return (null, owner._modelHost.State == ModelState.Failed ? FallbackReason.ModelLoadFailed : FallbackReason.ModelAbsent);
            }

            cancellationToken.ThrowIfCancellationRequested();
            ModelPoseResult result;
            try
            {
                result = model.Estimate(image, camera, target);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                owner._metrics.Error(PoseMetrics.StageInference);
                LogModelFailed(owner._logger, target.Id, ex);
                return (null, FallbackReason.ModelError);
            }

            _modelPoses[index] = result.Estimate?.Pose;
            Preprocess += result.Preprocess;
            Inference += result.Inference;
            Pnp += result.Pnp;
            if (result.Preprocess + result.Inference + result.Pnp > owner._modelBudget)
            {
                return (null, FallbackReason.ModelOverBudget);
            }

            return result.Estimate is null || result.Confidence < owner._confidenceThreshold
                ? (null, FallbackReason.ModelLowConfidence)
                : (result.Estimate, FallbackReason.None);
        }

        private ObjectPose Report(TargetObject target, PoseEstimate? estimate, PoseSource source, FallbackReason reason) => new(
            target.Id,
            estimate is null ? null : PoseReporting.ToReported(estimate, target, owner._workcell),
            PoseReporting.ReportedFrame(owner._workcell),
            source,
            reason);
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Model failed on object {ObjectId}; the baseline answers for this frame")]
    private static partial void LogModelFailed(ILogger logger, string objectId, Exception exception);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Baseline failed on this frame")]
    private static partial void LogBaselineFailed(ILogger logger, Exception exception);
}
