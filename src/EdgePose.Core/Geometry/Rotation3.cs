namespace EdgePose.Core.Geometry;

/// <summary>An immutable 3×3 rotation matrix, row-major.</summary>
public readonly struct Rotation3 : IEquatable<Rotation3>
{
    private readonly double _m00, _m01, _m02, _m10, _m11, _m12, _m20, _m21, _m22;

    private Rotation3(double m00, double m01, double m02, double m10, double m11, double m12, double m20, double m21, double m22)
    {
        (_m00, _m01, _m02) = (m00, m01, m02);
        (_m10, _m11, _m12) = (m10, m11, m12);
        (_m20, _m21, _m22) = (m20, m21, m22);
    }

    // default(Rotation3) would be the zero matrix; Identity is what an unset rotation means everywhere.
    public static Rotation3 Identity { get; } = new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    public double this[int row, int column] => ((row * 3) + column) switch
    {
        0 => _m00, 1 => _m01, 2 => _m02,
        3 => _m10, 4 => _m11, 5 => _m12,
        6 => _m20, 7 => _m21, 8 => _m22,
        _ => throw new ArgumentOutOfRangeException(nameof(column)),
    };

    /// <summary>Builds from nine row-major values and re-orthonormalises them, so slightly noisy input is accepted.</summary>
    public static Rotation3 FromRowMajor(ReadOnlySpan<double> m)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(m.Length, 9, nameof(m));
        return FromQuaternion(new Rotation3(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]).ToQuaternion());
    }

    public double[] ToRowMajor() => [_m00, _m01, _m02, _m10, _m11, _m12, _m20, _m21, _m22];

    public double[,] ToMatrix() => new double[,] { { _m00, _m01, _m02 }, { _m10, _m11, _m12 }, { _m20, _m21, _m22 } };

    public static Rotation3 FromAxisAngle(Vec3 axis, double angleRadians)
    {
        var n = axis.Normalized();
        if (n == Vec3.Zero || angleRadians == 0)
        {
            return Identity;
        }

        var (s, c) = Math.SinCos(angleRadians);
        var t = 1 - c;
        return new(
            (t * n.X * n.X) + c, (t * n.X * n.Y) - (s * n.Z), (t * n.X * n.Z) + (s * n.Y),
            (t * n.X * n.Y) + (s * n.Z), (t * n.Y * n.Y) + c, (t * n.Y * n.Z) - (s * n.X),
            (t * n.X * n.Z) - (s * n.Y), (t * n.Y * n.Z) + (s * n.X), (t * n.Z * n.Z) + c);
    }

    /// <summary>From an OpenCV rotation vector (axis × angle, radians).</summary>
    public static Rotation3 FromRodrigues(Vec3 rotationVector) => FromAxisAngle(rotationVector, rotationVector.Length);

    /// <summary>To an OpenCV rotation vector (axis × angle, radians), numerically safe near 0 and π.</summary>
    public Vec3 ToRodrigues()
    {
        var q = ToQuaternion();
        var sinHalf = Math.Sqrt((q.X * q.X) + (q.Y * q.Y) + (q.Z * q.Z));
        if (sinHalf < 1e-12)
        {
            return Vec3.Zero;
        }

        var angle = 2 * Math.Atan2(sinHalf, q.W);
        return new Vec3(q.X, q.Y, q.Z) * (angle / sinHalf);
    }

    public static Rotation3 FromQuaternion(UnitQuaternion q)
    {
        var norm = Math.Sqrt((q.W * q.W) + (q.X * q.X) + (q.Y * q.Y) + (q.Z * q.Z));
        if (norm == 0)
        {
            throw new ArgumentException("A zero quaternion is not a rotation.", nameof(q));
        }

        var (w, x, y, z) = (q.W / norm, q.X / norm, q.Y / norm, q.Z / norm);
        return new(
            1 - (2 * ((y * y) + (z * z))), 2 * ((x * y) - (z * w)), 2 * ((x * z) + (y * w)),
            2 * ((x * y) + (z * w)), 1 - (2 * ((x * x) + (z * z))), 2 * ((y * z) - (x * w)),
            2 * ((x * z) - (y * w)), 2 * ((y * z) + (x * w)), 1 - (2 * ((x * x) + (y * y))));
    }

    /// <summary>Shepperd's method: stable for every rotation; the result has w ≥ 0.</summary>
    public UnitQuaternion ToQuaternion()
    {
        double w, x, y, z;
        var trace = _m00 + _m11 + _m22;
        if (trace > 0)
        {
            var s = Math.Sqrt(trace + 1) * 2;
            (w, x, y, z) = (0.25 * s, (_m21 - _m12) / s, (_m02 - _m20) / s, (_m10 - _m01) / s);
        }
        else if (_m00 > _m11 && _m00 > _m22)
        {
            var s = Math.Sqrt(1 + _m00 - _m11 - _m22) * 2;
            (w, x, y, z) = ((_m21 - _m12) / s, 0.25 * s, (_m01 + _m10) / s, (_m02 + _m20) / s);
        }
        else if (_m11 > _m22)
        {
            var s = Math.Sqrt(1 + _m11 - _m00 - _m22) * 2;
            (w, x, y, z) = ((_m02 - _m20) / s, (_m01 + _m10) / s, 0.25 * s, (_m12 + _m21) / s);
        }
        else
        {
            var s = Math.Sqrt(1 + _m22 - _m00 - _m11) * 2;
            (w, x, y, z) = ((_m10 - _m01) / s, (_m02 + _m20) / s, (_m12 + _m21) / s, 0.25 * s);
        }

        var norm = Math.Sqrt((w * w) + (x * x) + (y * y) + (z * z));
        var sign = w < 0 ? -1 : 1;
        return new UnitQuaternion(sign * w / norm, sign * x / norm, sign * y / norm, sign * z / norm);
    }

    public static Rotation3 FromRollPitchYaw(RollPitchYaw rpy) =>
        FromAxisAngle(new Vec3(0, 0, 1), rpy.Yaw) * FromAxisAngle(new Vec3(0, 1, 0), rpy.Pitch) * FromAxisAngle(new Vec3(1, 0, 0), rpy.Roll);

    public RollPitchYaw ToRollPitchYaw()
    {
        var pitch = Math.Asin(Math.Clamp(-_m20, -1, 1));
        if (Math.Abs(_m20) > 1 - 1e-9)
        {
            // Gimbal lock: roll and yaw share one axis; put it all in yaw.
            return new RollPitchYaw(0, pitch, Math.Atan2(-_m01, _m11));
        }

        return new RollPitchYaw(Math.Atan2(_m21, _m22), pitch, Math.Atan2(_m10, _m00));
    }

    public Rotation3 Transpose() => new(_m00, _m10, _m20, _m01, _m11, _m21, _m02, _m12, _m22);

    public Rotation3 Inverse() => Transpose();

    public Vec3 Column(int index) => index switch
    {
        0 => new(_m00, _m10, _m20),
        1 => new(_m01, _m11, _m21),
        2 => new(_m02, _m12, _m22),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Geodesic angle between two rotations, in radians: the angle of a⁻¹·b.</summary>
    public static double AngleBetween(Rotation3 a, Rotation3 b)
    {
        var relative = a.Transpose() * b;
        var cos = (relative._m00 + relative._m11 + relative._m22 - 1) / 2;
        var q = relative.ToQuaternion();
        var sinHalf = Math.Sqrt((q.X * q.X) + (q.Y * q.Y) + (q.Z * q.Z));
        // atan2 keeps precision for tiny angles where acos(cos) loses it.
        return cos > 0.99 ? 2 * Math.Atan2(sinHalf, q.W) : Math.Acos(Math.Clamp(cos, -1, 1));
    }

    public static double AngleBetweenDegrees(Rotation3 a, Rotation3 b) => AngleBetween(a, b) * 180 / Math.PI;

    /// <summary>The rotation vector about the reference frame's axes that turns <paramref name="from"/> into <paramref name="to"/>: to = exp([v]×)·from.</summary>
    public static Vec3 RotationVectorBetween(Rotation3 from, Rotation3 to) => (to * from.Transpose()).ToRodrigues();

    public static Rotation3 operator *(Rotation3 a, Rotation3 b) => new(
        (a._m00 * b._m00) + (a._m01 * b._m10) + (a._m02 * b._m20),
        (a._m00 * b._m01) + (a._m01 * b._m11) + (a._m02 * b._m21),
        (a._m00 * b._m02) + (a._m01 * b._m12) + (a._m02 * b._m22),
        (a._m10 * b._m00) + (a._m11 * b._m10) + (a._m12 * b._m20),
        (a._m10 * b._m01) + (a._m11 * b._m11) + (a._m12 * b._m21),
        (a._m10 * b._m02) + (a._m11 * b._m12) + (a._m12 * b._m22),
        (a._m20 * b._m00) + (a._m21 * b._m10) + (a._m22 * b._m20),
        (a._m20 * b._m01) + (a._m21 * b._m11) + (a._m22 * b._m21),
        (a._m20 * b._m02) + (a._m21 * b._m12) + (a._m22 * b._m22));

    public static Vec3 operator *(Rotation3 r, Vec3 v) => new(
        (r._m00 * v.X) + (r._m01 * v.Y) + (r._m02 * v.Z),
        (r._m10 * v.X) + (r._m11 * v.Y) + (r._m12 * v.Z),
        (r._m20 * v.X) + (r._m21 * v.Y) + (r._m22 * v.Z));

    public bool Equals(Rotation3 other) => ToRowMajor().AsSpan().SequenceEqual(other.ToRowMajor());

    public override bool Equals(object? obj) => obj is Rotation3 other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_m00, _m11, _m22, _m01, _m12);

    public static bool operator ==(Rotation3 left, Rotation3 right) => left.Equals(right);

    public static bool operator !=(Rotation3 left, Rotation3 right) => !left.Equals(right);
}
