using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using Prometheus;

namespace EdgePose.Runtime.Metrics;

/// <summary>
/// Every metric EdgePose exports, on one registry (the process default in the daemon, a private one in tests).
/// Names: edgepose_ prefix, base units, _total counters, low-cardinality labels. Per-pose metrics carry an object_id
/// label whose values are the workcell's configured objects and nothing else: a pose for any other id is not counted.
/// </summary>
public sealed class PoseMetrics
{
    /// <summary>1 ms … 250 ms, dense around the 100 ms budget.</summary>
    public static readonly double[] LatencyBucketsSeconds =
        [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.125, 0.15, 0.2, 0.25];

    public const string StageCaptureWait = "capture_wait";
    public const string StagePreprocess = "preprocess";
    public const string StageInference = "inference";
    public const string StagePnp = "pnp";
    public const string StageBaseline = "baseline";
    public const string StageCapture = "capture";
    public const string StageModelLoad = "model_load";

    /// <summary>Confidence is a probability-like score in [0, 1]; the buckets resolve the usual thresholds (0.3 to 0.7).</summary>
    public static readonly double[] ConfidenceBuckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1];

    /// <summary>RMS reprojection error of the served pose's keypoints: sub-pixel when good, tens of pixels when wrong.</summary>
    public static readonly double[] ReprojectionErrorBucketsPixels = [0.25, 0.5, 1, 2, 3, 5, 8, 12, 20, 40];

    private static readonly PoseSource[] EstimatingSources = [PoseSource.Model, PoseSource.Baseline];

    private readonly Histogram _stageSeconds;
    private readonly Histogram _endToEndSeconds;
    private readonly Counter _framesCaptured;
    private readonly Counter _framesDropped;
    private readonly Counter _resultsPublished;
    private readonly Counter _fallbacks;
    private readonly Histogram _confidence;
    private readonly Histogram _reprojectionError;
    private readonly HashSet<string> _objectIds;
    private readonly Counter _errors;
    private readonly Counter _budgetOverruns;
    private readonly Counter _cameraReconnects;
    private readonly Counter _modelReloads;
    private readonly Gauge _newestResultTimestamp;
    private readonly Gauge _cameraConnected;
    private readonly Gauge _captureSynthetic;
    private readonly Gauge _modelLoaded;
    private readonly Gauge _captureFps;
    private readonly Gauge _modelInfo;
    private readonly Gauge _buildInfo;

    /// <param name="objectIds">The values of the object_id label; the default workcell's objects when null.</param>
    public PoseMetrics(CollectorRegistry registry, IEnumerable<string>? objectIds = null)
    {
        Registry = registry;
        _objectIds = [.. objectIds ?? Workcell.Default.Objects.Select(o => o.Id)];
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _stageSeconds = factory.CreateHistogram(
            "edgepose_stage_duration_seconds",
            "Time spent in each pipeline stage per frame.",
            new HistogramConfiguration { LabelNames = ["stage"], Buckets = LatencyBucketsSeconds });
        _endToEndSeconds = factory.CreateHistogram(
            "edgepose_end_to_end_latency_seconds",
            "Frame capture to result published.",
            new HistogramConfiguration { Buckets = LatencyBucketsSeconds });
        _framesCaptured = factory.CreateCounter("edgepose_frames_captured_total", "Frames read from the capture source.");
        _framesDropped = factory.CreateCounter("edgepose_frames_dropped_total", "Frames dropped because a newer frame arrived before they were processed.");
        _resultsPublished = factory.CreateCounter(
            "edgepose_results_published_total", "Object poses published, by the estimator that produced them (none = not found) and object.",
            new CounterConfiguration { LabelNames = ["source", "object_id"] });
        _fallbacks = factory.CreateCounter(
            "edgepose_fallbacks_total", "Object poses answered by the baseline instead of the model, by reason and object.",
            new CounterConfiguration { LabelNames = ["reason", "object_id"] });
        _confidence = factory.CreateHistogram(
            "edgepose_pose_confidence_ratio", "Confidence (0 to 1) of the object poses served, by estimator and object.",
            new HistogramConfiguration { LabelNames = ["source", "object_id"], Buckets = ConfidenceBuckets });
        _reprojectionError = factory.CreateHistogram(
            "edgepose_pose_reprojection_error_pixels", "RMS reprojection error of the object poses served, by estimator and object.",
            new HistogramConfiguration { LabelNames = ["source", "object_id"], Buckets = ReprojectionErrorBucketsPixels });
        _errors = factory.CreateCounter(
            "edgepose_errors_total", "Errors by pipeline stage.", new CounterConfiguration { LabelNames = ["stage"] });
        _budgetOverruns = factory.CreateCounter("edgepose_latency_budget_overruns_total", "Results published later than the latency budget after capture.");
        _cameraReconnects = factory.CreateCounter("edgepose_camera_reconnects_total", "Attempts to reopen a failed capture source.");
        _modelReloads = factory.CreateCounter(
            "edgepose_model_reloads_total", "Model loads by outcome.", new CounterConfiguration { LabelNames = ["outcome"] });
        _newestResultTimestamp = factory.CreateGauge(
            "edgepose_newest_result_capture_timestamp_seconds", "Unix time at which the frame of the newest published result was captured.");
        _cameraConnected = factory.CreateGauge("edgepose_camera_connected", "1 while the capture source delivers frames.");
        _captureSynthetic = factory.CreateGauge(
            "edgepose_capture_synthetic", "1 while the capture source renders its frames (the synthetic camera): every pose served is pretend.");
        _modelLoaded = factory.CreateGauge("edgepose_model_loaded", "1 while a model is loaded and serving.");
        _captureFps = factory.CreateGauge("edgepose_capture_frames_per_second", "Frames per second read from the capture source (moving average).");
        _modelInfo = factory.CreateGauge(
            "edgepose_model_info", "The loaded model (value 1).",
            new GaugeConfiguration { LabelNames = ["model", "sha256", "version", "execution_provider"] });
        _buildInfo = factory.CreateGauge(
            "edgepose_build_info", "EdgePose build (value 1).", new GaugeConfiguration { LabelNames = ["version", "runtime"] });
        _buildInfo.WithLabels(typeof(PoseMetrics).Assembly.GetName().Version?.ToString(3) ?? "0.0.0", Environment.Version.ToString()).Set(1);

        // Publish zeroes up front so rate() and absent() behave from the first scrape.
        foreach (var objectId in _objectIds)
        {
            foreach (var source in Enum.GetValues<PoseSource>())
            {
                _resultsPublished.WithLabels(Label(source), objectId);
            }

            foreach (var reason in Enum.GetValues<FallbackReason>().Where(r => r != FallbackReason.None))
            {
                _fallbacks.WithLabels(Label(reason), objectId);
            }

            foreach (var source in EstimatingSources)
            {
                _confidence.WithLabels(Label(source), objectId);
                _reprojectionError.WithLabels(Label(source), objectId);
            }
        }

        foreach (var stage in new[] { StageCaptureWait, StagePreprocess, StageInference, StagePnp, StageBaseline })
        {
            _stageSeconds.WithLabels(stage);
        }
    }

    public CollectorRegistry Registry { get; }

    public MetricFactory Factory => Prometheus.Metrics.WithCustomRegistry(Registry);

    public void FrameCaptured() => _framesCaptured.Inc();

    public void FrameDropped() => _framesDropped.Inc();

    public void CameraReconnect() => _cameraReconnects.Inc();

    public void SetCameraConnected(bool connected) => _cameraConnected.Set(connected ? 1 : 0);

    public void SetCaptureFps(double fps) => _captureFps.Set(fps);

    public void SetCaptureSynthetic(bool synthetic) => _captureSynthetic.Set(synthetic ? 1 : 0);

    public void ObserveStage(string stage, TimeSpan duration) => _stageSeconds.WithLabels(stage).Observe(duration.TotalSeconds);

    public void ObserveEndToEnd(TimeSpan latency) => _endToEndSeconds.Observe(latency.TotalSeconds);

    /// <summary>Counts one served pose (and its fallback, and its quality when found); ignored for an object the workcell does not configure.</summary>
    public void PosePublished(ObjectPose pose)
    {
        if (!_objectIds.Contains(pose.ObjectId))
        {
            return;
        }

        var source = Label(pose.Source);
        _resultsPublished.WithLabels(source, pose.ObjectId).Inc();
        if (pose.FallbackReason != FallbackReason.None)
        {
            _fallbacks.WithLabels(Label(pose.FallbackReason), pose.ObjectId).Inc();
        }

        if (pose.Estimate is { } estimate)
        {
            _confidence.WithLabels(source, pose.ObjectId).Observe(estimate.Confidence);
            _reprojectionError.WithLabels(source, pose.ObjectId).Observe(estimate.ReprojectionErrorPx);
        }
    }

    public void Error(string stage) => _errors.WithLabels(stage).Inc();

    public void BudgetOverrun() => _budgetOverruns.Inc();

    public void SetNewestResultCaptureTime(DateTimeOffset captureTime) =>
        _newestResultTimestamp.Set(captureTime.ToUnixTimeMilliseconds() / 1000.0);

    public void ModelReloaded(bool succeeded) => _modelReloads.WithLabels(succeeded ? "success" : "failure").Inc();

    public void SetModel(string? name, string? sha256, string? version, string? executionProvider)
    {
        foreach (var labels in _modelInfo.GetAllLabelValues().ToList())
        {
            _modelInfo.RemoveLabelled(labels);
        }

        _modelLoaded.Set(name is null ? 0 : 1);
        if (name is not null)
        {
            _modelInfo.WithLabels(name, sha256 ?? "", version ?? "", executionProvider ?? "").Set(1);
        }
    }

    public static string Label(PoseSource source) => source switch
    {
        PoseSource.Model => "model",
        PoseSource.Baseline => "baseline",
        _ => "none",
    };

    public static string Label(FallbackReason reason) => reason switch
    {
        FallbackReason.None => "none",
        FallbackReason.ModelAbsent => "model_absent",
        FallbackReason.ModelLoadFailed => "model_load_failed",
        FallbackReason.ModelError => "model_error",
        FallbackReason.ModelOverBudget => "model_over_budget",
        FallbackReason.ModelLowConfidence => "model_low_confidence",
        FallbackReason.PolicyBaselineOnly => "policy_baseline_only",
        FallbackReason.PolicyMarkerVisible => "policy_marker_visible",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };
}
