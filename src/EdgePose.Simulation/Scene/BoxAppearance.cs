using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Simulation.Scene;

/// <summary>
/// The six textured faces of one box. Each face has its own hue, pattern and glyph so a learned model can tell the
/// orientation without the marker; the marker with its quiet zone is printed into its face's texture exactly where
/// T_object_marker puts it. Textures are kept as pyramids so far boxes are not aliased.
/// </summary>
internal sealed class BoxAppearance : IDisposable
{
    public const int PyramidLevels = 4;

    private const int TextureLongEdgePx = 512;
    private const int MarkerCellPx = 24;
    private const double MarkerPlaneTolerance = 1e-4;

    public BoxAppearance(TargetObject obj, int objectIndex)
    {
        var pixelsPerMeter = TextureLongEdgePx / Math.Max(obj.Size.X, Math.Max(obj.Size.Y, obj.Size.Z));
        var marker = obj.Marker;
        var markerNormal = marker.PoseInObject.Rotation.Column(2);
        var faces = ImmutableArray.CreateBuilder<BoxFace>(6);
        MarkerFace = -1;
        for (var f = 0; f < 6; f++)
        {
            var face = new BoxFace(obj, f, objectIndex, pixelsPerMeter);
            if (MarkerFace < 0
                && face.Normal.Dot(markerNormal) > 0.999
                && Math.Abs((marker.PoseInObject.Translation - face.Centre).Dot(face.Normal)) < MarkerPlaneTolerance)
            {
                MarkerFace = f;
                MarkerQuietZoneInObject = face.PrintMarker(marker);
            }

            faces.Add(face);
        }

        Faces = faces.MoveToImmutable();
    }

    public ImmutableArray<BoxFace> Faces { get; }

    /// <summary>The face carrying the marker, or −1 when T_object_marker does not lie on a face (then no marker is drawn).</summary>
    public int MarkerFace { get; }

    /// <summary>Outer corners of the white quiet zone (TL, TR, BR, BL) in the object frame; empty without a printed marker.</summary>
    public ImmutableArray<Vec3> MarkerQuietZoneInObject { get; } = [];

    public static Scalar FaceColour(int face, int objectIndex) => Hsv((face * 30) + (objectIndex * 11), 210, 225);

    public static Scalar Scaled(Scalar colour, double gain) => new(colour.Val0 * gain, colour.Val1 * gain, colour.Val2 * gain);

    public void Dispose()
    {
        foreach (var face in Faces)
        {
            face.Dispose();
        }
    }

    private static Scalar Hsv(int hue, int saturation, int value)
    {
        using var hsv = new Mat(1, 1, MatType.CV_8UC3, new Scalar(hue % 180, saturation, value));
        using var bgr = new Mat();
        Cv2.CvtColor(hsv, bgr, ColorConversionCodes.HSV2BGR);
        var c = bgr.At<Vec3b>(0, 0);
        return new Scalar(c.Item0, c.Item1, c.Item2);
    }

    internal sealed class BoxFace : IDisposable
    {
        private readonly Vec3 _right;
        private readonly Vec3 _down;
        private readonly double _halfRight;
        private readonly double _halfDown;
        private Mat[] _printed;
        private Mat[]? _blank;

        public BoxFace(TargetObject obj, int index, int objectIndex, double pixelsPerMeter)
        {
            var axis = index / 2;
            var sign = index % 2 == 0 ? 1.0 : -1.0;
            Normal = Axis(axis) * sign;
            Centre = Normal * (Component(obj.Size, axis) / 2);

            // right × down = −normal: the texture reads un-mirrored from outside the box.
            _right = Axis((axis + 1) % 3) * sign;
            _down = _right.Cross(Normal);
            _halfRight = Math.Abs(_right.Dot(obj.Size)) / 2;
            _halfDown = Math.Abs(_down.Dot(obj.Size)) / 2;
            CornerIndices = [CornerIndex(Corner(-1, -1)), CornerIndex(Corner(1, -1)), CornerIndex(Corner(1, 1)), CornerIndex(Corner(-1, 1))];

            var width = RoundUpToPyramid(2 * _halfRight * pixelsPerMeter);
            var height = RoundUpToPyramid(2 * _halfDown * pixelsPerMeter);
            var texture = new Mat(height, width, MatType.CV_8UC3);
            Paint(texture, index, objectIndex);
            _printed = BuildPyramid(texture);
        }

        public Vec3 Normal { get; }

        public Vec3 Centre { get; }

        /// <summary>Indices into <see cref="TargetObject.Keypoints"/> of the face's TL, TR, BR, BL corners as the texture sees them.</summary>
        public ImmutableArray<int> CornerIndices { get; }

        /// <summary>The pyramid level whose resolution is just above what the projected face needs; without the marker when not printed.</summary>
        public Mat Texture(int level, bool markerPrinted) => (markerPrinted ? _printed : _blank ?? _printed)[level];

        /// <summary>Prints the marker and its quiet zone into the texture and returns the quiet zone's corners in the object frame.</summary>
        public ImmutableArray<Vec3> PrintMarker(FiducialMarker marker)
        {
            _blank = [.. _printed.Select(level => level.Clone())];
            var (canvas, quietZone) = PrintedMarker.Draw(marker, MarkerCellPx);
            using var disposeCanvas = canvas;

            var texture = _printed[0];
            var destination = quietZone.Select(p => ToTexture(p, texture.Size())).ToArray();
            using var homography = Cv2.GetPerspectiveTransform(PixelCorners(canvas.Size()), destination);
            Cv2.WarpPerspective(canvas, texture, homography, texture.Size(), InterpolationFlags.Linear, BorderTypes.Transparent);
            foreach (var level in _printed.Skip(1))
            {
                level.Dispose();
            }

            _printed = BuildPyramid(texture);
            return quietZone;
        }

        /// <summary>Outer pixel corners (TL, TR, BR, BL) of an image in OpenCV's pixel-centre convention.</summary>
        public static Point2f[] PixelCorners(Size size) =>
            [new(-0.5f, -0.5f), new(size.Width - 0.5f, -0.5f), new(size.Width - 0.5f, size.Height - 0.5f), new(-0.5f, size.Height - 0.5f)];

        public void Dispose()
        {
            foreach (var level in _printed.Concat(_blank ?? []))
            {
                level.Dispose();
            }
        }

        private Point2f ToTexture(Vec3 pointInObject, Size size)
        {
            var offset = pointInObject - Centre;
            return new Point2f(
                (float)(((offset.Dot(_right) + _halfRight) / (2 * _halfRight) * size.Width) - 0.5),
                (float)(((offset.Dot(_down) + _halfDown) / (2 * _halfDown) * size.Height) - 0.5));
        }

        private Vec3 Corner(int right, int down) => Centre + (_right * (right * _halfRight)) + (_down * (down * _halfDown));

        private static int CornerIndex(Vec3 corner)
        {
            var quadrant = (corner.X > 0, corner.Y > 0) switch
            {
                (false, false) => 0,
                (true, false) => 1,
                (true, true) => 2,
                (false, true) => 3,
            };
            return (corner.Z > 0 ? 4 : 0) + quadrant;
        }

        private static void Paint(Mat texture, int face, int objectIndex)
        {
            var (w, h) = (texture.Width, texture.Height);
            var baseColour = FaceColour(face, objectIndex);
            var patternColour = Scaled(baseColour, 0.5);
            texture.SetTo(baseColour);
            var step = Math.Max(8, Math.Min(w, h) / 5);
            switch (face)
            {
                case 0:
                    for (var y = step / 2; y < h; y += step)
                    {
                        Cv2.Rectangle(texture, new Rect(0, y, w, step / 3), patternColour, -1);
                    }

                    break;
                case 1:
                    for (var x = step / 2; x < w; x += step)
                    {
                        Cv2.Rectangle(texture, new Rect(x, 0, step / 3, h), patternColour, -1);
                    }

                    break;
                case 2:
                    for (var y = 0; y < h; y += step)
                    {
                        for (var x = (y / step % 2) * step; x < w; x += 2 * step)
                        {
                            Cv2.Rectangle(texture, new Rect(x, y, step, step), patternColour, -1);
                        }
                    }

                    break;
                case 3:
                    for (var y = step / 2; y < h; y += step)
                    {
                        for (var x = step / 2; x < w; x += step)
                        {
                            Cv2.Circle(texture, new Point(x, y), step / 4, patternColour, -1, LineTypes.AntiAlias);
                        }
                    }

                    break;
                case 4:
                    for (var x = -h; x < w; x += step)
                    {
                        Cv2.Line(texture, new Point(x, 0), new Point(x + h, h), patternColour, Math.Max(2, step / 4), LineTypes.AntiAlias);
                    }

                    break;
                default:
                    for (var r = step / 2; r < Math.Max(w, h); r += step)
                    {
                        Cv2.Circle(texture, new Point(w / 3, h / 3), r, patternColour, Math.Max(2, step / 5), LineTypes.AntiAlias);
                    }

                    break;
            }

            // An off-centre glyph breaks each face's symmetry, so in-plane rotations are distinguishable too.
            var scale = Math.Min(w, h) / 60.0;
            Cv2.PutText(texture, (face + 1).ToString(), new Point(w / 12, h / 12 + (int)(22 * scale)), HersheyFonts.HersheySimplex, scale, Scalar.White, Math.Max(2, (int)(3 * scale)), LineTypes.AntiAlias);
            Cv2.Rectangle(texture, new Rect(0, 0, w, h), Scaled(baseColour, 0.3), Math.Max(2, Math.Min(w, h) / 60));
        }

        private static Mat[] BuildPyramid(Mat level0)
        {
            var levels = new Mat[PyramidLevels];
            levels[0] = level0;
            for (var i = 1; i < levels.Length; i++)
            {
                // Area halving keeps pixel i of a level centred on 2i + 0.5 below, which the texture corner mapping
                // relies on; PyrDown centres it on 2i and would shift far markers by up to a few texels.
                levels[i] = new Mat();
                Cv2.Resize(levels[i - 1], levels[i], new Size(levels[i - 1].Width / 2, levels[i - 1].Height / 2), 0, 0, InterpolationFlags.Area);
            }

            return levels;
        }

        private static int RoundUpToPyramid(double pixels)
        {
            const int multiple = 1 << (PyramidLevels - 1);
            return Math.Max(multiple, (int)Math.Ceiling(pixels / multiple) * multiple);
        }

        private static Vec3 Axis(int axis) => axis switch
        {
            0 => new Vec3(1, 0, 0),
            1 => new Vec3(0, 1, 0),
            _ => new Vec3(0, 0, 1),
        };

        private static double Component(Vec3 v, int axis) => axis switch
        {
            0 => v.X,
            1 => v.Y,
            _ => v.Z,
        };
    }
}
