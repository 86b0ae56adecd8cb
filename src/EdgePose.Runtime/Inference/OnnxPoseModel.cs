using EdgePose.Runtime.Geometry;
using EdgePose.Runtime.Objects;
using EdgePose.Runtime.Poses;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// A keypoint model behind the contract: letterboxed image in, nine keypoints with scores out, PnP to a pose.
/// Owns its session and input buffer; calls are serialised because the buffer is shared.
/// </summary>
internal sealed class OnnxPoseModel : IPoseModel
{
    /// <summary>EPnP needs 4 points, but with fewer than 6 a single misplaced keypoint bends the pose unnoticed.</summary>
    public const int MinimumKeypoints = 6;

    /// <summary>
    /// The keypoint farthest from the solved pose is dropped when solving without it cuts the RMS reprojection error
    /// below this share: one confidently wrong keypoint (often a covered corner) then no longer bends the pose. Chosen on
    /// the validation split (seed 5): it turned 4% of frames from wrong into grasp-ready, and stricter ratios kept fewer.
    /// </summary>
    internal const double OutlierRmsRatio = 0.5;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly LetterboxTensor _input;
    private readonly OrtValue[] _inputValues;
    private readonly float[] _keypoints = new float[2 * TargetObject.KeypointCount];
    private readonly float[] _scores = new float[TargetObject.KeypointCount];
    private readonly OrtValue[] _outputValues;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly double _scoreFloor;
    private readonly double _positionToleranceMeters;
    private readonly double _angleToleranceDegrees;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<Vec3> _objectPoints = new(TargetObject.KeypointCount);
    private readonly List<Point2d> _imagePoints = new(TargetObject.KeypointCount);
    private bool _disposed;

    public OnnxPoseModel(InferenceSession session, ModelInfo info, InferenceOptions options, TimeProvider time)
    {
        _session = session;
        Info = info;
        _input = new LetterboxTensor(info.Contract);
        _inputValues = [_input.Value];

        // The contract fixes the output shapes, so ONNX Runtime writes straight into these instead of allocating per run.
        _outputValues =
        [
            OrtValue.CreateTensorValueFromMemory(_keypoints, [1, TargetObject.KeypointCount, 2]),
            OrtValue.CreateTensorValueFromMemory(_scores, [1, TargetObject.KeypointCount]),
        ];
        _inputNames = [info.Contract.InputName];
        _outputNames = [info.Contract.KeypointsOutput, info.Contract.ScoresOutput];
        _scoreFloor = options.KeypointScoreFloor;
        _positionToleranceMeters = options.ConfidencePositionToleranceMeters;
        _angleToleranceDegrees = options.ConfidenceAngleToleranceDegrees;
        _time = time;
    }

    public ModelInfo Info { get; }

    public bool Handles(string objectId) => string.Equals(objectId, Info.Contract.ObjectId, StringComparison.Ordinal);

    public ModelPoseResult Estimate(Mat image, CameraIntrinsics camera, TargetObject target)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            var start = _time.GetTimestamp();
            _input.Fill(image);
            var preprocessed = _time.GetTimestamp();

            _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
            var inferred = _time.GetTimestamp();

            var (estimate, confidence) = SolvePose(camera.ScaledTo(image.Width, image.Height), target);
            var end = _time.GetTimestamp();
            return new ModelPoseResult(
                estimate, confidence, _time.GetElapsedTime(start, preprocessed), _time.GetElapsedTime(preprocessed, inferred), _time.GetElapsedTime(inferred, end));
        }
    }

    /// <summary>The network's raw outputs for an image (normalised keypoints, scores): what the parity test compares with PyTorch.</summary>
    internal (float[] Keypoints, float[] Scores) Infer(Mat image)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _input.Fill(image);
            _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
            return ([.. _keypoints], [.. _scores]);
        }
    }

    /// <summary>Runs inference on an all-padding input so lazy allocations and kernel selection happen before the first frame.</summary>
    public void Warmup(int runs)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _input.Clear();
            for (var i = 0; i < runs; i++)
            {
                _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
            }
        }
    }

    /// <summary>Waits for an in-flight <see cref="Estimate"/>, so a model swapped out mid-frame finishes that frame first.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _input.Dispose();
            foreach (var output in _outputValues)
            {
                output.Dispose();
            }

            _runOptions.Dispose();
            _session.Dispose();
        }
    }

    private (PoseEstimate? Estimate, double Confidence) SolvePose(CameraIntrinsics camera, TargetObject target)
    {
        _objectPoints.Clear();
        _imagePoints.Clear();
        var scoreSum = 0.0;
        for (var i = 0; i < TargetObject.KeypointCount; i++)
        {
            scoreSum += _scores[i];
            if (_scores[i] >= _scoreFloor)
            {
                _objectPoints.Add(target.Keypoints[i]);
                _imagePoints.Add(_input.Geometry.ToImage(_keypoints[2 * i], _keypoints[(2 * i) + 1]));
            }
        }

        if (_objectPoints.Count < MinimumKeypoints)
        {
            return (null, 0);
        }

        // EPnP for a closed-form start, then Levenberg–Marquardt from it, rather than RANSAC: weak keypoints are already
        // gone (score floor), and with at most nine points RANSAC's minimal subsets barely outvote each other. One
        // confidently wrong keypoint is instead caught by its residual (below), and what remains shows in the covariance.
        var solution = PnpSolver.Solve(_objectPoints, _imagePoints, camera, SolvePnPMethod.EPNP, refineIteratively: true);
        if (solution is null)
        {
            return (null, 0);
        }

        solution = WithoutWorstKeypoint(solution, camera) ?? solution;
        var confidence = Math.Clamp(scoreSum / TargetObject.KeypointCount, 0, 1) * Math.Exp(-ToleranceUnits(solution.Covariance));

        // The keypoints are ordered, so the model has already resolved the box's symmetry.
        var estimate = new PoseEstimate(solution.Pose, solution.Covariance, solution.RmsReprojectionErrorPx, confidence, RotationAmbiguous: false);
        return (estimate, confidence);
    }

    /// <summary>The solution without the keypoint of largest residual, when that cuts the RMS error enough; else null.</summary>
    private PnpSolution? WithoutWorstKeypoint(PnpSolution solution, CameraIntrinsics camera)
    {
        if (_objectPoints.Count <= MinimumKeypoints)
        {
            return null;
        }

        var projected = PnpSolver.Project(_objectPoints, camera, solution.Pose);
        var worst = 0;
        for (var i = 1; i < projected.Length; i++)
        {
            if (projected[i].DistanceTo(_imagePoints[i]) > projected[worst].DistanceTo(_imagePoints[worst]))
            {
                worst = i;
            }
        }

        _objectPoints.RemoveAt(worst);
        _imagePoints.RemoveAt(worst);
        var without = PnpSolver.Solve(_objectPoints, _imagePoints, camera, SolvePnPMethod.EPNP, refineIteratively: true);
        return without is not null && without.RmsReprojectionErrorPx < OutlierRmsRatio * solution.RmsReprojectionErrorPx ? without : null;
    }

    /// <summary>
    /// How far the pose may be off, in units of the grasp's tolerances: the larger of the position and the angle
    /// deviation that the PnP covariance (ordered t, r) gives. Infinite for a degenerate solve.
    /// </summary>
    private double ToleranceUnits(IReadOnlyList<double> covariance)
    {
        var position = Math.Sqrt(covariance[0] + covariance[7] + covariance[14]);
        var angleDegrees = double.RadiansToDegrees(Math.Sqrt(covariance[21] + covariance[28] + covariance[35]));
        var units = Math.Max(position / _positionToleranceMeters, angleDegrees / _angleToleranceDegrees);
        return double.IsNaN(units) ? double.PositiveInfinity : units;
    }
}
