using System.Collections.Concurrent;
using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using OpenCvSharp;
using OpenCvSharp.Aruco;

namespace EdgePose.Runtime.Baseline;

/// <summary>ArUco detection + IPPE_SQUARE PnP per object marker, with the planar flip ambiguity made explicit.</summary>
internal sealed class ArucoBaselineEstimator(BaselineOptions options, GraspTolerance tolerance) : IBaselineEstimator, IDisposable
{
    /// <summary>A flip guess closer than this to the solution is the face-on case, where both tilts fit by construction.</summary>
    private const double FaceOnFlipDegrees = 2;

    /// <summary>A refined flip that lands this close to the best solution found no second minimum.</summary>
    private const double SameSolutionDegrees = 0.5;

    private readonly ConcurrentDictionary<PredefinedDictionaryType, Lazy<MarkerDetector>> _detectors = new();

    public ImmutableArray<PoseEstimate?> Estimate(Mat image, CameraIntrinsics camera, ImmutableArray<TargetObject> objects)
    {
        var imageCamera = camera.ScaledTo(image.Width, image.Height);
        var detections = new Dictionary<PredefinedDictionaryType, (Point2d[][] Corners, int[] Ids)>();
        var results = new PoseEstimate?[objects.Length];
        for (var i = 0; i < objects.Length; i++)
        {
            var marker = objects[i].Marker;
            if (!detections.TryGetValue(marker.Dictionary, out var found))
            {
                found = Detector(marker.Dictionary).Detect(image);
                detections.Add(marker.Dictionary, found);
            }

            var index = Array.IndexOf(found.Ids, marker.Id);
            if (index >= 0)
            {
                results[i] = EstimateFromCorners(marker, found.Corners[index], imageCamera, options, tolerance);
            }
        }

        return [.. results];
    }

    /// <summary>T_camera_object from the four detected marker corners (TL, TR, BR, BL), or null when PnP fails or the pose is too unsure to serve.</summary>
    internal static PoseEstimate? EstimateFromCorners(
        FiducialMarker marker, IReadOnlyList<Point2d> imageCorners, CameraIntrinsics camera, BaselineOptions options, GraspTolerance tolerance)
    {
        var cornersInMarker = marker.CornersInMarker;
        var best = PnpSolver.Solve(cornersInMarker, imageCorners, camera, SolvePnPMethod.IPPE_SQUARE);
        if (best is null)
        {
            return null;
        }

        var flipGuess = FlipAboutLineOfSight(best.Pose);
        var flipped = PnpSolver.Solve(cornersInMarker, imageCorners, camera, SolvePnPMethod.Iterative, flipGuess);
        if (flipped is not null && flipped.RmsReprojectionErrorPx < best.RmsReprojectionErrorPx)
        {
            (best, flipped) = (flipped, best);
        }

        var faceOn = Rotation3.AngleBetweenDegrees(flipGuess.Rotation, best.Pose.Rotation) < FaceOnFlipDegrees;
        var secondMinimum = flipped is not null && best.Pose.AngleErrorDegreesTo(flipped.Pose) > SameSolutionDegrees;
        var ambiguous = faceOn || (secondMinimum
            && flipped!.RmsReprojectionErrorPx <= options.AmbiguityErrorRatio * Math.Max(best.RmsReprojectionErrorPx, PnpSolver.MinimumPixelSigma));

        // Evaluated in the object frame so the covariance is the object pose's, not the marker's.
        var objectPose = best.Pose * marker.PoseInObject.Inverse();
        var (rms, covariance) = PnpSolver.Evaluate(marker.CornersInObject, imageCorners, camera, objectPose);
        // Four corners fit a marker seen at a grazing angle or from far away well, yet pin its pose down poorly: the
        // covariance says how poorly, in the grasp's tolerances, as it does for the model.
        var confidence = Math.Clamp(1 - (rms / options.MaxReprojectionErrorPx), 0, 1)
            * (ambiguous ? options.AmbiguousConfidenceFactor : 1)
            * tolerance.Confidence(covariance);
        return confidence < options.ConfidenceThreshold ? null : new PoseEstimate(objectPose, covariance, rms, confidence, ambiguous);
    }

    /// <summary>
    /// The other IPPE candidate's neighbourhood: the marker normal reflected about the line of sight to the marker centre,
    /// reached by the smallest rotation about the centre, so the corners project almost where they did.
    /// </summary>
    internal static RigidTransform FlipAboutLineOfSight(RigidTransform cameraToMarker)
    {
        var lineOfSight = cameraToMarker.Translation.Normalized();
        var normal = cameraToMarker.Rotation.Column(2);
        var reflected = (lineOfSight * (2 * normal.Dot(lineOfSight))) - normal;
        var axis = normal.Cross(reflected);
        var angle = Math.Atan2(axis.Length, normal.Dot(reflected));
        return new RigidTransform(Rotation3.FromAxisAngle(axis, angle) * cameraToMarker.Rotation, cameraToMarker.Translation);
    }

    public void Dispose()
    {
        foreach (var detector in _detectors.Values.Where(d => d.IsValueCreated))
        {
            detector.Value.Dispose();
        }
    }

    private MarkerDetector Detector(PredefinedDictionaryType dictionary) =>
        _detectors.GetOrAdd(dictionary, d => new Lazy<MarkerDetector>(() => new MarkerDetector(d, options))).Value;

    /// <summary>One ArucoDetector per dictionary; OpenCV does not promise it is thread-safe, so calls are serialised.</summary>
    private sealed class MarkerDetector : IDisposable
    {
        private readonly Dictionary _dictionary;
        private readonly ArucoDetector _detector;
        private readonly bool _fitEdges;
        private readonly int _cellsPerSide;
        private readonly Mat _gray = new();
        private readonly Lock _lock = new();
        private bool _disposed;

        public MarkerDetector(PredefinedDictionaryType dictionary, BaselineOptions options)
        {
            _dictionary = CvAruco.GetPredefinedDictionary(dictionary);
            _cellsPerSide = _dictionary.MarkerSize + 2;
            _fitEdges = options.FitCornersToEdges;
            var parameters = new DetectorParameters { CornerRefinementMethod = options.CornerRefinement };
            _detector = new ArucoDetector(_dictionary, parameters, new RefineParameters());
        }

        public (Point2d[][] Corners, int[] Ids) Detect(Mat image)
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);

                // Converted once here so detection and edge fitting read the same grey image.
                var gray = image;
                if (image.Channels() != 1)
                {
                    Cv2.CvtColor(image, _gray, image.Channels() == 4 ? ColorConversionCodes.BGRA2GRAY : ColorConversionCodes.BGR2GRAY);
                    gray = _gray;
                }

                _detector.DetectMarkers(gray, out var found, out var ids, out _);
                var corners = new Point2d[found.Length][];
                for (var m = 0; m < found.Length; m++)
                {
                    corners[m] = [.. found[m].Select(p => new Point2d(p.X, p.Y))];
                    if (_fitEdges)
                    {
                        MarkerEdgeRefiner.Refine(gray, corners[m], _cellsPerSide);
                    }
                }

                return (corners, ids);
            }
        }

        /// <summary>Waits for a running detection: freeing the native detector under it would crash the process at shutdown.</summary>
        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _detector.Dispose();
                _dictionary.Dispose();
                _gray.Dispose();
            }
        }
    }
}
