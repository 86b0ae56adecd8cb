using System.Collections.Concurrent;
using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using OpenCvSharp;
using OpenCvSharp.Aruco;

namespace EdgePose.Runtime.Baseline;

/// <summary>ArUco detection + IPPE_SQUARE PnP per object marker, with the planar flip ambiguity made explicit.</summary>
/// <param name="searchNearLastSeen">
/// Search each image first around where the previous one had the markers: for a live camera's consecutive frames.
/// </param>
internal sealed class ArucoBaselineEstimator(BaselineOptions options, GraspTolerance tolerance, bool searchNearLastSeen = false)
    : IBaselineEstimator, IDisposable
{
    /// <summary>A flip guess closer than this to the solution is the face-on case, where both tilts fit by construction.</summary>
    private const double FaceOnFlipDegrees = 2;

    /// <summary>A refined flip that lands this close to the best solution found no second minimum.</summary>
    private const double SameSolutionDegrees = 0.5;

    /// <summary>Pixels beyond half the markers' size that the region searched first extends by: motion between frames.</summary>
    private const int SearchMarginPx = 24;

    /// <summary>How far inside the region searched first a marker must lie to be taken from it (see WellInside).</summary>
    private const int RegionBorderPx = 12;

    private readonly ConcurrentDictionary<PredefinedDictionaryType, Lazy<MarkerDetector>> _detectors = new();

    /// <summary>Whether the last detection found its markers in the region searched first (for tests).</summary>
    internal bool LastSearchWasLocal { get; private set; }

    // Where the previous image had all of the workcell's markers of a dictionary (with searchNearLastSeen). An unrelated
    // image's region only costs a search of that region before the whole image is searched.
    private readonly ConcurrentDictionary<PredefinedDictionaryType, Rect> _lastSeen = new();

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
                found = Detect(image, marker.Dictionary, objects);
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
        var flipped = PnpSolver.SolveFrom(cornersInMarker, imageCorners, camera, flipGuess);
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
    /// The dictionary's markers: first only around where the previous image had all of this workcell's markers of that
    /// dictionary (a live camera's next frame has them nearby), and in the whole image when that region does not show
    /// every one of them again. Detection and edge fitting are local to each marker, so the corners agree with a
    /// whole-image search to within sub-pixel refinement's tolerance.
    /// </summary>
    private (Point2d[][] Corners, int[] Ids) Detect(Mat image, PredefinedDictionaryType dictionary, ImmutableArray<TargetObject> objects)
    {
        var detector = Detector(dictionary);
        var imageRect = new Rect(0, 0, image.Width, image.Height);
        if (!searchNearLastSeen)
        {
            return detector.Detect(image, imageRect);
        }

        var wanted = objects.Where(o => o.Marker.Dictionary == dictionary).Select(o => o.Marker.Id).ToArray();
        if (_lastSeen.TryGetValue(dictionary, out var around) && (around & imageRect) == around && around.Width > 0)
        {
            var local = detector.Detect(image, around);
            if (WantedCorners(local, wanted) is { } corners && WellInside(corners, around, imageRect))
            {
                LastSearchWasLocal = true;
                _lastSeen[dictionary] = SearchRegion(corners, imageRect);
                return local;
            }
        }

        LastSearchWasLocal = false;
        var found = detector.Detect(image, imageRect);
        if (WantedCorners(found, wanted) is { } foundCorners)
        {
            _lastSeen[dictionary] = SearchRegion(foundCorners, imageRect);
        }
        else
        {
            _lastSeen.TryRemove(dictionary, out _);
        }

        return found;
    }

    /// <summary>The corners of the wanted markers, or null when any of them is missing.</summary>
    private static Point2d[]? WantedCorners((Point2d[][] Corners, int[] Ids) found, int[] wanted) =>
        wanted.All(found.Ids.Contains)
            ? [.. found.Ids.Select((id, m) => (id, m)).Where(x => wanted.Contains(x.id)).SelectMany(x => found.Corners[x.m])]
            : null;

    /// <summary>
    /// Whether every corner lies at least <see cref="RegionBorderPx"/> inside the region (where the region's edge is not
    /// the image's): near a cut edge, sub-pixel refinement and edge fitting would see less of the image than a
    /// whole-image search, and the corners could differ.
    /// </summary>
    private static bool WellInside(Point2d[] corners, Rect region, Rect image)
    {
        var left = region.Left > image.Left ? region.Left + RegionBorderPx : double.NegativeInfinity;
        var top = region.Top > image.Top ? region.Top + RegionBorderPx : double.NegativeInfinity;
        var right = region.Right < image.Right ? region.Right - RegionBorderPx : double.PositiveInfinity;
        var bottom = region.Bottom < image.Bottom ? region.Bottom - RegionBorderPx : double.PositiveInfinity;
        return corners.All(c => c.X >= left && c.X <= right && c.Y >= top && c.Y <= bottom);
    }

    /// <summary>The corners' bounding box, widened by half its size and <see cref="SearchMarginPx"/> for motion, within the image.</summary>
    private static Rect SearchRegion(Point2d[] corners, Rect image)
    {
        var (left, top) = (corners.Min(c => c.X), corners.Min(c => c.Y));
        var (right, bottom) = (corners.Max(c => c.X), corners.Max(c => c.Y));
        var marginX = ((right - left) / 2) + SearchMarginPx;
        var marginY = ((bottom - top) / 2) + SearchMarginPx;
        var region = Rect.FromLTRB(
            (int)Math.Floor(left - marginX), (int)Math.Floor(top - marginY), (int)Math.Ceiling(right + marginX), (int)Math.Ceiling(bottom + marginY));
        return region & image;
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

        /// <summary>The markers inside <paramref name="region"/> of the image, their corners in whole-image pixels.</summary>
        public (Point2d[][] Corners, int[] Ids) Detect(Mat image, Rect region)
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);

                // Converted once here so detection and edge fitting read the same grey image.
                using var view = image.SubMat(region);
                var gray = view;
                if (image.Channels() != 1)
                {
                    Cv2.CvtColor(view, _gray, image.Channels() == 4 ? ColorConversionCodes.BGRA2GRAY : ColorConversionCodes.BGR2GRAY);
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

                    for (var c = 0; c < corners[m].Length; c++)
                    {
                        corners[m][c] = new Point2d(corners[m][c].X + region.X, corners[m][c].Y + region.Y);
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
