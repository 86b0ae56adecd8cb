using EdgePose.Core.Contract;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
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
    private readonly double _maxReprojectionErrorPx;
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
        _maxReprojectionErrorPx = options.MaxReprojectionErrorPx;
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
        // gone (score floor), and with at most nine points RANSAC's minimal subsets barely outvote each other. A keypoint
        // that is confidently wrong instead shows in the reprojection error, which lowers the confidence below.
        var solution = PnpSolver.Solve(_objectPoints, _imagePoints, camera, SolvePnPMethod.EPNP, refineIteratively: true);
        if (solution is null)
        {
            return (null, 0);
        }

        var quality = Math.Clamp(1 - (solution.RmsReprojectionErrorPx / _maxReprojectionErrorPx), 0, 1);
        var confidence = Math.Clamp(scoreSum / TargetObject.KeypointCount, 0, 1) * quality;

        // The keypoints are ordered, so the model has already resolved the box's symmetry.
        var estimate = new PoseEstimate(solution.Pose, solution.Covariance, solution.RmsReprojectionErrorPx, confidence, RotationAmbiguous: false);
        return (estimate, confidence);
    }
}
