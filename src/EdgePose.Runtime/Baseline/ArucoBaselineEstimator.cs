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
/// Search each image first around where the previous one had the markers, or where the caller expects them: for a live
/// camera's consecutive frames.
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

    /// <summary>
    /// The smallest marker perimeter looked at in a region searched first, as a share of the region's longer side. The
    /// region is the markers' box widened by half its size and the margin on every side, so a marker as large as the one
    /// it was made from has a perimeter of over half that side; ArUco's default (3% of the image) lets through tiny
    /// candidates, whose decoding took two thirds of a local search's time.
    /// </summary>
    private const double LocalMinMarkerPerimeterRate = 0.3;

    private readonly ConcurrentDictionary<PredefinedDictionaryType, Lazy<MarkerDetector>> _detectors = new();

    /// <summary>Whether the last detection found its markers in the region searched first (for tests).</summary>
    internal bool LastSearchWasLocal { get; private set; }

    // Where an earlier image had all of the workcell's markers of a dictionary (with searchNearLastSeen), and in which
    // call: only the previous call's region is preferred to where the caller expects the markers. A wrong region only
    // costs a search of it before the whole image is searched.
    private readonly ConcurrentDictionary<PredefinedDictionaryType, (Rect Region, long Call)> _lastSeen = new();
    private long _calls;

    public ImmutableArray<PoseEstimate?> Estimate(
        Mat image, CameraIntrinsics camera, ImmutableArray<TargetObject> objects, ImmutableArray<RigidTransform?> expectedPoses = default)
    {
        var imageCamera = camera.ScaledTo(image.Width, image.Height);
        var call = Interlocked.Increment(ref _calls);
        var detections = new Dictionary<PredefinedDictionaryType, (Point2d[][] Corners, int[] Ids)>();
        var results = new PoseEstimate?[objects.Length];
        for (var i = 0; i < objects.Length; i++)
        {
            var marker = objects[i].Marker;
            if (!detections.TryGetValue(marker.Dictionary, out var found))
            {
                found = Detect(image, imageCamera, marker.Dictionary, objects, expectedPoses, call);
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
    /// The dictionary's markers that the objects carry. With searchNearLastSeen, first only in one region: where the
    /// previous image had all of them (a live camera's next frame has them nearby), else where the expected poses put them
    /// (the model's unsure answer for this image), else where an older image had them; then in the whole image when that
    /// region does not show every one of them. Detection and edge fitting are local to each marker, so the corners agree
    /// with a whole-image search to within sub-pixel refinement's tolerance.
    /// </summary>
    private (Point2d[][] Corners, int[] Ids) Detect(
        Mat image, CameraIntrinsics camera, PredefinedDictionaryType dictionary, ImmutableArray<TargetObject> objects,
        ImmutableArray<RigidTransform?> expectedPoses, long call)
    {
        var detector = Detector(dictionary);
        var imageRect = new Rect(0, 0, image.Width, image.Height);
        var wanted = new HashSet<int>();
        foreach (var target in objects)
        {
            if (target.Marker.Dictionary == dictionary)
            {
                wanted.Add(target.Marker.Id);
            }
        }

        if (!searchNearLastSeen)
        {
            return detector.Detect(image, imageRect, wanted);
        }

        var seen = _lastSeen.TryGetValue(dictionary, out var last) ? last.Region : (Rect?)null;
        var around = seen is not null && last.Call == call - 1 ? seen : ExpectedRegion(camera, dictionary, objects, expectedPoses, imageRect) ?? seen;
        // An earlier image may have been larger (another camera mode): its region must still lie inside this one.
        if (around is { Width: > 0, Height: > 0 } region && (region & imageRect) == region)
        {
            var local = detector.Detect(image, region, wanted);
            if (wanted.IsSubsetOf(local.Ids) && WellInside(local.Corners, region, imageRect))
            {
                LastSearchWasLocal = true;
                _lastSeen[dictionary] = (SearchRegion(local.Corners, imageRect), call);
                return local;
            }
        }

        LastSearchWasLocal = false;
        var found = detector.Detect(image, imageRect, wanted);
        if (wanted.IsSubsetOf(found.Ids))
        {
            _lastSeen[dictionary] = (SearchRegion(found.Corners, imageRect), call);
        }
        else
        {
            _lastSeen.TryRemove(dictionary, out _);
        }

        return found;
    }

    /// <summary>The search region around the dictionary's markers projected from the expected object poses, if any are given and in front of the camera.</summary>
    private static Rect? ExpectedRegion(
        CameraIntrinsics camera, PredefinedDictionaryType dictionary, ImmutableArray<TargetObject> objects,
        ImmutableArray<RigidTransform?> expectedPoses, Rect imageRect)
    {
        if (expectedPoses.IsDefault)
        {
            return null;
        }

        var markers = new List<Point2d[]>();
        for (var i = 0; i < objects.Length; i++)
        {
            if (objects[i].Marker.Dictionary != dictionary || expectedPoses[i] is not { } pose)
            {
                continue;
            }

            var corners = objects[i].Marker.CornersInObject;
            if (corners.Any(c => pose.Apply(c).Z <= 0))
            {
                return null;
            }

            markers.Add(PnpSolver.Project(corners, camera, pose));
        }

        return markers.Count == 0 ? null : SearchRegion(markers, imageRect);
    }

    /// <summary>
    /// Whether every corner lies at least <see cref="RegionBorderPx"/> inside the region (where the region's edge is not
    /// the image's): near a cut edge, sub-pixel refinement and edge fitting would see less of the image than a
    /// whole-image search, and the corners could differ.
    /// </summary>
    private static bool WellInside(Point2d[][] markers, Rect region, Rect image)
    {
        var left = region.Left > image.Left ? region.Left + RegionBorderPx : double.NegativeInfinity;
        var top = region.Top > image.Top ? region.Top + RegionBorderPx : double.NegativeInfinity;
        var right = region.Right < image.Right ? region.Right - RegionBorderPx : double.PositiveInfinity;
        var bottom = region.Bottom < image.Bottom ? region.Bottom - RegionBorderPx : double.PositiveInfinity;
        return markers.All(corners => corners.All(c => c.X >= left && c.X <= right && c.Y >= top && c.Y <= bottom));
    }

    /// <summary>The markers' bounding box, widened by half its size and <see cref="SearchMarginPx"/> for motion, within the image.</summary>
    private static Rect SearchRegion(IEnumerable<IReadOnlyList<Point2d>> markers, Rect image)
    {
        var (left, top, right, bottom) = (double.PositiveInfinity, double.PositiveInfinity, double.NegativeInfinity, double.NegativeInfinity);
        foreach (var corner in markers.SelectMany(c => c))
        {
            (left, top) = (Math.Min(left, corner.X), Math.Min(top, corner.Y));
            (right, bottom) = (Math.Max(right, corner.X), Math.Max(bottom, corner.Y));
        }

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

    /// <summary>
    /// The ArUco detectors of one dictionary, for whole images and for regions searched first; OpenCV does not promise
    /// they are thread-safe, so calls are serialised.
    /// </summary>
    private sealed class MarkerDetector : IDisposable
    {
        private readonly Dictionary _dictionary;
        private readonly ArucoDetector _wholeImage;
        private readonly ArucoDetector _region;
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
            _wholeImage = new ArucoDetector(
                _dictionary, new DetectorParameters { CornerRefinementMethod = options.CornerRefinement }, new RefineParameters());
            _region = new ArucoDetector(
                _dictionary,
                new DetectorParameters { CornerRefinementMethod = options.CornerRefinement, MinMarkerPerimeterRate = LocalMinMarkerPerimeterRate },
                new RefineParameters());
        }

        /// <summary>
        /// The <paramref name="wanted"/> markers inside <paramref name="region"/> of the image, their corners in
        /// whole-image pixels; others are dropped before the edge fit.
        /// </summary>
        public (Point2d[][] Corners, int[] Ids) Detect(Mat image, Rect region, HashSet<int> wanted)
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

                var detector = region.Width == image.Width && region.Height == image.Height ? _wholeImage : _region;
                detector.DetectMarkers(gray, out var found, out var allIds, out _);
                var (corners, ids) = (new List<Point2d[]>(), new List<int>());
                for (var m = 0; m < found.Length; m++)
                {
                    // A marker id seen twice (a second printout in view) is kept twice, as ArUco returns it.
                    if (!wanted.Contains(allIds[m]))
                    {
                        continue;
                    }

                    var marker = found[m].Select(p => new Point2d(p.X, p.Y)).ToArray();
                    if (_fitEdges)
                    {
                        MarkerEdgeRefiner.Refine(gray, marker, _cellsPerSide);
                    }

                    for (var c = 0; c < marker.Length; c++)
                    {
                        marker[c] = new Point2d(marker[c].X + region.X, marker[c].Y + region.Y);
                    }

                    corners.Add(marker);
                    ids.Add(allIds[m]);
                }

                return ([.. corners], [.. ids]);
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
                _wholeImage.Dispose();
                _region.Dispose();
                _dictionary.Dispose();
                _gray.Dispose();
            }
        }
    }
}
