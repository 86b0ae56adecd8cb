using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Simulation.Scene;

/// <summary>
/// Renders textured, marker-carrying boxes over clutter with exact labels: the <c>synthetic</c> camera, the dataset
/// generator and the evaluation all draw from it. Thread-safe for concurrent Render calls.
/// </summary>
public sealed class SyntheticSceneRenderer : IDisposable
{
    private const int BackgroundCount = 6;
    private const double Ambient = 0.35;
    private const double Diffuse = 0.65;
    private const byte OccluderLabel = 255;

    /// <summary>Fine samples per pixel along each axis when drawing objects: 3 measured no more accurate edges than 2, at 2.5× the cost.</summary>
    private const int Supersampling = 2;

    /// <summary>Beyond this angle between marker normal and line of sight the truth calls the marker not visible.</summary>
    private const double MaxMarkerViewAngleDegrees = 75;

    private readonly SyntheticSceneOptions _options;
    private readonly CameraIntrinsics _camera;
    private readonly ImmutableArray<TargetObject> _objects;
    private readonly SceneTrajectory _trajectory;
    private readonly BoxAppearance[] _appearances;
    private readonly Mat[] _backgrounds;
    private readonly ThreadLocal<Scratch> _scratch;
    private readonly Rect _imageRect;
    private volatile bool _disposed;

    public SyntheticSceneRenderer(SyntheticSceneOptions options, CameraIntrinsics camera, ImmutableArray<TargetObject> objects)
    {
        if (objects.IsDefaultOrEmpty || objects.Length >= OccluderLabel)
        {
            throw new ArgumentException($"The synthetic scene needs 1 to {OccluderLabel - 1} objects.", nameof(objects));
        }

        _options = options;
        _camera = camera;
        _objects = objects;
        _imageRect = new Rect(0, 0, camera.Width, camera.Height);
        _trajectory = new SceneTrajectory(options, camera, objects);
        _appearances = [.. objects.Select((o, i) => new BoxAppearance(o, i))];
        _backgrounds = CreateBackgrounds(new Random(options.Seed), camera.Width, camera.Height);
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(camera.Width, camera.Height), trackAllValues: true);
    }

    /// <summary>Frame <paramref name="index"/> of the configured trajectory; the same (Seed, index) gives identical pixels and truth.</summary>
    public RenderedScene Render(long index)
    {
        var (poses, conditions) = _trajectory.At(index);
        return Render(index, poses, conditions);
    }

    /// <summary>
    /// Renders explicit poses (T_camera_object, index-aligned with the objects) under explicit conditions; background,
    /// clutter and occluder shapes still come from (Seed, <paramref name="index"/>).
    /// </summary>
    public RenderedScene Render(long index, IReadOnlyList<RigidTransform> poses, SceneConditions conditions)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(poses.Count, _objects.Length, nameof(poses));
        ObjectDisposedException.ThrowIf(_disposed, this);
        var random = FrameRandom.Create(_options.Seed, index, FrameRandom.AppearanceStream);
        var scratch = _scratch.Value!;
        var image = new Mat(_camera.Height, _camera.Width, MatType.CV_8UC3);
        try
        {
            DrawBackground(image, random);
            scratch.Labels.SetTo(Scalar.All(0));
            var placed = new PlacedObject[_objects.Length];
            foreach (var i in Enumerable.Range(0, _objects.Length).OrderByDescending(i => poses[i].Translation.Length))
            {
                placed[i] = DrawObject(image, scratch, i, poses[i], conditions, random);
            }

            foreach (var p in placed)
            {
                if (conditions.OcclusionFraction > 0)
                {
                    DrawOccluder(image, scratch, CutOccluder(p.Hull, conditions.OcclusionFraction, random), random);
                }

                if (conditions.MarkerHidden && p.MarkerPrinted && p.MarkerFacing)
                {
                    DrawOccluder(image, scratch, CoverMarker(p.MarkerQuietZone, random), random);
                }
            }

            var truths = placed.Select((p, i) => Truth(scratch, i, poses[i], p)).ToImmutableArray();
            ApplyCameraEffects(image, scratch, conditions, FrameRandom.OpenCvState(_options.Seed, index));
            return new RenderedScene(image, new SceneTruth(index, truths, conditions.BlurSigmaPx, conditions.Brightness));
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var scratch in _scratch.Values)
        {
            scratch.Dispose();
        }

        _scratch.Dispose();
        foreach (var disposable in _appearances.Cast<IDisposable>().Concat(_backgrounds))
        {
            disposable.Dispose();
        }
    }

    private PlacedObject DrawObject(Mat image, Scratch scratch, int objectIndex, RigidTransform pose, SceneConditions conditions, Random random)
    {
        var obj = _objects[objectIndex];
        var appearance = _appearances[objectIndex];
        var keypoints = SceneProjection.Project(_camera, pose, obj.Keypoints);
        var hull = Cv2.ConvexHull(keypoints[..8].Select(p => new Point2f((float)p.X, (float)p.Y))).Select(p => new Point2d(p.X, p.Y)).ToArray();

        // Half the hidden markers are covered, the other half never printed: both happen on real parts.
        var markerPrinted = appearance.MarkerFace >= 0 && !(conditions.MarkerHidden && random.NextDouble() < 0.5);
        var markerFacing = false;
        var light = new Vec3(random.Uniform(-0.6, 0.0), random.Uniform(-0.8, -0.2), -1).Normalized();
        // From the exact corners, not the float hull: each face's region comes from the same corners, so it stays inside
        // this one even when a corner lies just below a pixel boundary that float rounding would move it onto.
        var roi = SceneProjection.BoundingRoi(keypoints.AsSpan(0, 8), _camera.Width, _camera.Height);
        using var fineColour = scratch.FineColour[Fine(new Rect(default(Point), roi.Size))];
        using var fineMask = scratch.FineMask[Fine(new Rect(default(Point), roi.Size))];
        fineColour.SetTo(Scalar.All(0));
        fineMask.SetTo(Scalar.All(0));
        for (var f = 0; f < appearance.Faces.Length; f++)
        {
            var face = appearance.Faces[f];
            var normal = pose.Rotation * face.Normal;
            var towardsCamera = -pose.Apply(face.Centre);
            var facing = normal.Dot(towardsCamera.Normalized());
            if (facing <= 0)
            {
                continue;
            }

            if (f == appearance.MarkerFace)
            {
                markerFacing = facing > Math.Cos(MaxMarkerViewAngleDegrees * Math.PI / 180);
            }

            var quad = face.CornerIndices.Select(k => keypoints[k]).ToArray();
            var shade = Ambient + (Diffuse * Math.Max(0, normal.Dot(light)));
            DrawFace(scratch, roi, face, quad, shade, markerPrinted);
        }

        Composite(image, scratch, roi, (byte)(objectIndex + 1));

        var quietZone = markerPrinted ? SceneProjection.Project(_camera, pose, appearance.MarkerQuietZoneInObject) : [];
        return new PlacedObject(keypoints, hull, quietZone, markerPrinted, markerFacing);
    }

    /// <summary>Draws one face into the object's supersampled colour and coverage buffers (origin at <paramref name="objectRoi"/>).</summary>
    private void DrawFace(Scratch scratch, Rect objectRoi, BoxAppearance.BoxFace face, Point2d[] quad, double shade, bool markerPrinted)
    {
        var roi = SceneProjection.BoundingRoi(quad, _camera.Width, _camera.Height);
        if (roi.Width == 0 || roi.Height == 0)
        {
            return;
        }

        // Pixel centres sit at integers on both grids, so pixel coordinate x is fine coordinate (x + 0.5)·S − 0.5.
        var fine = quad.Select(p => new Point2d(((p.X - roi.X + 0.5) * Supersampling) - 0.5, ((p.Y - roi.Y + 0.5) * Supersampling) - 0.5)).ToArray();
        var fineRect = Fine(new Rect(roi.X - objectRoi.X, roi.Y - objectRoi.Y, roi.Width, roi.Height));
        var level = PyramidLevel(face.Texture(0, markerPrinted).Size(), fine);
        var texture = face.Texture(level, markerPrinted);
        using var homography = Cv2.GetPerspectiveTransform(BoxAppearance.BoxFace.PixelCorners(texture.Size()), fine.Select(p => new Point2f((float)p.X, (float)p.Y)));
        using var warped = scratch.FineFace[new Rect(default(Point), fineRect.Size)];
        using var mask = scratch.FineFaceMask[new Rect(default(Point), fineRect.Size)];
        Cv2.WarpPerspective(texture, warped, homography, fineRect.Size, InterpolationFlags.Linear, BorderTypes.Replicate);
        warped.ConvertTo(warped, -1, shade);
        mask.SetTo(Scalar.All(0));
        Cv2.FillConvexPoly(mask, SceneProjection.ToFixed(fine, default(Point)), Scalar.All(255), LineTypes.Link8, SceneProjection.FixedShift);
        using var colour = scratch.FineColour[fineRect];
        using var coverage = scratch.FineMask[fineRect];
        warped.CopyTo(colour, mask);
        Cv2.BitwiseOr(coverage, mask, coverage);
    }

    /// <summary>
    /// A camera pixel integrates the light over its area: the object, drawn on a <see cref="Supersampling"/>× finer grid,
    /// is area-averaged and laid over the image by its coverage, so edges (marker border, outline) get the partial grey
    /// levels a sensor records instead of point-sampled steps whose position is only known to the nearest pixel.
    /// Compositing the whole object at once keeps seams between its faces free of background.
    /// </summary>
    private static void Composite(Mat image, Scratch scratch, Rect roi, byte label)
    {
        if (roi.Width == 0 || roi.Height == 0)
        {
            return;
        }

        var local = new Rect(default(Point), roi.Size);
        using var fineColour = scratch.FineColour[Fine(local)];
        using var fineMask = scratch.FineMask[Fine(local)];
        using var colour = scratch.Warp[local];
        using var coverage = scratch.Mask[local];
        using var coverage3 = scratch.Coverage3[local];
        using var behind = scratch.Behind[local];
        Cv2.Resize(fineColour, colour, roi.Size, 0, 0, InterpolationFlags.Area);
        Cv2.Resize(fineMask, coverage, roi.Size, 0, 0, InterpolationFlags.Area);

        // Premultiplied "over" (the fine colour is black where uncovered): the background shows through by the uncovered share.
        using var target = image[roi];
        Cv2.CvtColor(coverage, coverage3, ColorConversionCodes.GRAY2BGR);
        Cv2.Multiply(target, coverage3, behind, 1 / 255.0);
        Cv2.Subtract(target, behind, target);
        Cv2.Add(target, colour, target);

        // Any pixel the object touches is labelled, as the hard-rasterised silhouette the truth compares with counts it too.
        using var labels = scratch.Labels[roi];
        Cv2.Threshold(coverage, coverage, 0, 255, ThresholdTypes.Binary);
        labels.SetTo(Scalar.All(label), coverage);
    }

    private static Rect Fine(Rect rect) => new(rect.X * Supersampling, rect.Y * Supersampling, rect.Width * Supersampling, rect.Height * Supersampling);

    /// <summary>The finest pyramid level at most twice as dense as the face's projection, so bilinear sampling does not alias.</summary>
    private static int PyramidLevel(Size textureSize, Point2d[] quad)
    {
        var across = Math.Max(quad[0].DistanceTo(quad[1]), quad[3].DistanceTo(quad[2]));
        var down = Math.Max(quad[0].DistanceTo(quad[3]), quad[1].DistanceTo(quad[2]));
        var ratio = Math.Max(textureSize.Width / Math.Max(across, 1), textureSize.Height / Math.Max(down, 1));
        return Math.Clamp((int)Math.Floor(Math.Log2(ratio)), 0, BoxAppearance.PyramidLevels - 1);
    }

    /// <summary>A polygon covering the share <paramref name="fraction"/> of the silhouette beyond a randomly oriented cut.</summary>
    private static Point2d[] CutOccluder(Point2d[] hull, double fraction, Random random)
    {
        var angle = random.Uniform(0, 2 * Math.PI);
        var along = new Point2d(Math.Cos(angle), Math.Sin(angle));
        var across = new Point2d(-along.Y, along.X);
        var alongValues = hull.Select(p => p.DotProduct(along)).ToArray();
        var acrossValues = hull.Select(p => p.DotProduct(across)).ToArray();
        var total = SceneProjection.Area(hull);
        double low = alongValues.Min(), high = alongValues.Max();
        for (var i = 0; i < 40; i++)
        {
            var middle = (low + high) / 2;
            (low, high) = SceneProjection.AreaBeyond(hull, along, middle) > fraction * total ? (middle, high) : (low, middle);
        }

        var margin = 4 + (0.3 * (alongValues.Max() - alongValues.Min()));
        var (side0, side1) = (acrossValues.Min() - margin, acrossValues.Max() + margin);
        var (far0, far1) = (alongValues.Max() + random.Uniform(2, margin), alongValues.Max() + random.Uniform(2, margin));
        Point2d At(double a, double c) => (along * a) + (across * c);
        return [At(high, side0), At(high, side1), At(far1, side1), At(far0, side0)];
    }

    private static Point2d[] CoverMarker(Point2d[] quietZone, Random random)
    {
        var centre = new Point2d(quietZone.Average(p => p.X), quietZone.Average(p => p.Y));
        var scale = random.Uniform(1.15, 1.5);
        return [.. quietZone.Select(p => centre + ((p - centre) * scale))];
    }

    private void DrawOccluder(Mat image, Scratch scratch, Point2d[] polygon, Random random)
    {
        var colour = RandomColour(random);
        var roi = SceneProjection.BoundingRoi(polygon, _camera.Width, _camera.Height);
        if (roi.Width == 0 || roi.Height == 0)
        {
            return;
        }

        var points = SceneProjection.ToFixed(polygon, roi.Location);
        using var target = image[roi];
        using var labels = scratch.Labels[roi];
        // Anti-aliased in the image for the same reason faces are supersampled; the labels stay hard.
        Cv2.FillConvexPoly(target, points, colour, LineTypes.AntiAlias, SceneProjection.FixedShift);
        Cv2.FillConvexPoly(labels, points, Scalar.All(OccluderLabel), LineTypes.Link8, SceneProjection.FixedShift);

        // A second tone inside keeps occluders from being flat blobs a model could learn to ignore.
        var centre = new Point2d(polygon.Average(p => p.X), polygon.Average(p => p.Y));
        var inner = polygon.Select(p => centre + ((p - centre) * random.Uniform(0.3, 0.7))).ToArray();
        Cv2.FillConvexPoly(target, SceneProjection.ToFixed(inner, roi.Location), RandomColour(random), LineTypes.AntiAlias, SceneProjection.FixedShift);
    }

    private ObjectTruth Truth(Scratch scratch, int objectIndex, RigidTransform pose, PlacedObject placed)
    {
        var label = objectIndex + 1;
        var roi = SceneProjection.BoundingRoi(placed.Hull, _camera.Width, _camera.Height);
        var silhouettePx = 0;
        var visiblePx = 0;
        var visibleBox = default(Rect);
        if (roi.Width > 0 && roi.Height > 0)
        {
            using var mask = FillMask(scratch, placed.Hull, roi);
            using var labels = scratch.Labels[roi];
            using var same = scratch.Compare[new Rect(0, 0, roi.Width, roi.Height)];
            silhouettePx = Cv2.CountNonZero(mask);
            Cv2.Compare(labels, Scalar.All(label), same, CmpTypes.EQ);
            Cv2.BitwiseAnd(same, mask, same);
            visiblePx = Cv2.CountNonZero(same);
            if (visiblePx > 0)
            {
                var box = Cv2.BoundingRect(same);
                visibleBox = new Rect(box.X + roi.X, box.Y + roi.Y, box.Width, box.Height);
            }
        }

        var occlusion = silhouettePx == 0 ? 1 : Math.Clamp(1 - ((double)visiblePx / silhouettePx), 0, 1);
        var visible = Math.Clamp(visiblePx / Math.Max(1, SceneProjection.Area(placed.Hull)), 0, 1);
        var bbox = Rect.FromLTRB(
            (int)Math.Floor(placed.Keypoints[..8].Min(p => p.X)),
            (int)Math.Floor(placed.Keypoints[..8].Min(p => p.Y)),
            (int)Math.Ceiling(placed.Keypoints[..8].Max(p => p.X)),
            (int)Math.Ceiling(placed.Keypoints[..8].Max(p => p.Y))).Intersect(_imageRect);
        return new ObjectTruth(
            _objects[objectIndex].Id,
            pose,
            [.. placed.Keypoints],
            bbox,
            placed.MarkerPrinted && placed.MarkerFacing && MarkerUncovered(scratch, placed.MarkerQuietZone, label),
            occlusion,
            visible)
        {
            SilhouettePixels = silhouettePx,
            VisiblePixels = visiblePx,
            VisibleBoundingBox = visibleBox,
        };
    }

    /// <summary>The whole quiet zone is in the image and no occluder or nearer object covers any of it.</summary>
    private bool MarkerUncovered(Scratch scratch, Point2d[] quietZone, int label)
    {
        if (!SceneProjection.AllInside(quietZone, _camera.Width, _camera.Height, 0))
        {
            return false;
        }

        var roi = SceneProjection.BoundingRoi(quietZone, _camera.Width, _camera.Height);
        using var mask = FillMask(scratch, quietZone, roi);
        using var labels = scratch.Labels[roi];
        using var foreign = scratch.Compare[new Rect(0, 0, roi.Width, roi.Height)];
        using var notBackgroundRoi = scratch.Foreground[new Rect(0, 0, roi.Width, roi.Height)];
        Cv2.Compare(labels, Scalar.All(label), foreign, CmpTypes.NE);
        Cv2.Compare(labels, Scalar.All(0), notBackgroundRoi, CmpTypes.NE);
        Cv2.BitwiseAnd(foreign, notBackgroundRoi, foreign);
        Cv2.BitwiseAnd(foreign, mask, foreign);
        return Cv2.CountNonZero(foreign) == 0;
    }

    private static Mat FillMask(Scratch scratch, Point2d[] polygon, Rect roi)
    {
        var mask = scratch.Mask[new Rect(0, 0, roi.Width, roi.Height)];
        mask.SetTo(Scalar.All(0));
        Cv2.FillConvexPoly(mask, SceneProjection.ToFixed(polygon, roi.Location), Scalar.All(255), LineTypes.Link8, SceneProjection.FixedShift);
        return mask;
    }

    private void DrawBackground(Mat image, Random random)
    {
        var background = _backgrounds[random.Next(_backgrounds.Length)];
        var flip = random.Next(4);
        if (flip == 3)
        {
            background.CopyTo(image);
        }
        else
        {
            Cv2.Flip(background, image, (FlipMode)(flip - 1));
        }

        Cv2.Multiply(image, new Scalar(random.Uniform(0.5, 1.3), random.Uniform(0.5, 1.3), random.Uniform(0.5, 1.3)), image);
        var size = Math.Min(_camera.Width, _camera.Height);
        for (var i = 0; i < _options.ClutterShapes; i++)
        {
            // A quarter of the clutter wears the boxes' own colours, so colour alone cannot find the object.
            var colour = random.NextDouble() < 0.25
                ? BoxAppearance.Scaled(BoxAppearance.FaceColour(random.Next(6), random.Next(_objects.Length)), random.Uniform(0.6, 1.1))
                : RandomColour(random);
            var centre = new Point(random.Next(_camera.Width), random.Next(_camera.Height));
            var extent = (int)random.Uniform(4, size / 4.0);
            var thickness = random.NextDouble() < 0.5 ? -1 : random.Next(1, 5);
            switch (random.Next(5))
            {
                case 0:
                    var box = new RotatedRect(new Point2f(centre.X, centre.Y), new Size2f(extent, random.Uniform(4, extent)), (float)random.Uniform(0, 180));
                    Cv2.FillConvexPoly(image, box.Points().Select(p => new Point((int)p.X, (int)p.Y)), colour, LineTypes.AntiAlias);
                    break;
                case 1:
                    Cv2.Circle(image, centre, extent / 2, colour, thickness, LineTypes.AntiAlias);
                    break;
                case 2:
                    Cv2.Line(image, centre, new Point(centre.X + random.Next(-extent, extent), centre.Y + random.Next(-extent, extent)), colour, random.Next(1, 5), LineTypes.AntiAlias);
                    break;
                case 3:
                    Cv2.Ellipse(image, centre, new Size(extent / 2, random.Next(2, (extent / 2) + 3)), random.Uniform(0, 180), 0, 360, colour, thickness, LineTypes.AntiAlias);
                    break;
                default:
                    var triangle = Enumerable.Range(0, 3).Select(_ => new Point(centre.X + random.Next(-extent, extent), centre.Y + random.Next(-extent, extent)));
                    Cv2.FillConvexPoly(image, triangle, colour, LineTypes.AntiAlias);
                    break;
            }
        }
    }

    private static void ApplyCameraEffects(Mat image, Scratch scratch, SceneConditions conditions, ulong noiseState)
    {
        if (conditions.Brightness != 1)
        {
            image.ConvertTo(image, -1, conditions.Brightness);
        }

        if (conditions.BlurSigmaPx > 0.05)
        {
            Cv2.GaussianBlur(image, image, new Size(0, 0), conditions.BlurSigmaPx);
        }

        if (conditions.NoiseSigma > 0)
        {
            // OpenCV's RNG is thread-local, so seeding it here makes the noise a function of the frame alone.
            Cv2.SetTheRNG(noiseState);
            Cv2.Randn(scratch.Noise, Scalar.All(0), Scalar.All(conditions.NoiseSigma));
            Cv2.Add(image, scratch.Noise, image, null, (int)MatType.CV_8U);
        }
    }

    private static Scalar RandomColour(Random random) => new(random.Next(256), random.Next(256), random.Next(256));

    private static Mat[] CreateBackgrounds(Random random, int width, int height)
    {
        var backgrounds = new Mat[BackgroundCount];
        for (var i = 0; i < backgrounds.Length; i++)
        {
            // Smooth blotches plus finer grain: texture the detector must ignore, generated once per seed.
            using var coarse = RandomImage(random, 4 + random.Next(12), 3 + random.Next(9));
            using var fine = RandomImage(random, 40 + random.Next(60), 30 + random.Next(45));
            using var fineFull = new Mat();
            backgrounds[i] = new Mat();
            Cv2.Resize(coarse, backgrounds[i], new Size(width, height), 0, 0, InterpolationFlags.Cubic);
            Cv2.Resize(fine, fineFull, new Size(width, height), 0, 0, InterpolationFlags.Linear);
            Cv2.AddWeighted(backgrounds[i], 0.75, fineFull, 0.25, 0, backgrounds[i]);
        }

        return backgrounds;
    }

    private static Mat RandomImage(Random random, int width, int height)
    {
        var bytes = new byte[width * height * 3];
        random.NextBytes(bytes);
        var mat = new Mat(height, width, MatType.CV_8UC3);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, mat.Data, bytes.Length);
        return mat;
    }

    private sealed record PlacedObject(Point2d[] Keypoints, Point2d[] Hull, Point2d[] MarkerQuietZone, bool MarkerPrinted, bool MarkerFacing);

    /// <summary>Full-frame working buffers of one thread; regions of them are used per face, never reallocated.</summary>
    private sealed class Scratch(int width, int height) : IDisposable
    {
        public Mat Warp { get; } = new(height, width, MatType.CV_8UC3);

        public Mat FineColour { get; } = new(height * Supersampling, width * Supersampling, MatType.CV_8UC3);

        public Mat FineMask { get; } = new(height * Supersampling, width * Supersampling, MatType.CV_8UC1);

        public Mat FineFace { get; } = new(height * Supersampling, width * Supersampling, MatType.CV_8UC3);

        public Mat FineFaceMask { get; } = new(height * Supersampling, width * Supersampling, MatType.CV_8UC1);

        public Mat Coverage3 { get; } = new(height, width, MatType.CV_8UC3);

        public Mat Behind { get; } = new(height, width, MatType.CV_8UC3);

        public Mat Mask { get; } = new(height, width, MatType.CV_8UC1);

        public Mat Compare { get; } = new(height, width, MatType.CV_8UC1);

        public Mat Foreground { get; } = new(height, width, MatType.CV_8UC1);

        /// <summary>Per pixel: 0 background, i + 1 object i, 255 occluder; what the truth's visibility is counted on.</summary>
        public Mat Labels { get; } = new(height, width, MatType.CV_8UC1);

        public Mat Noise { get; } = new(height, width, MatType.CV_16SC3);

        public void Dispose()
        {
            foreach (var mat in new[] { Warp, FineColour, FineMask, FineFace, FineFaceMask, Coverage3, Behind, Mask, Compare, Foreground, Labels, Noise })
            {
                mat.Dispose();
            }
        }
    }
}
