namespace EdgePose.Core.Geometry;

/// <summary>A 3-vector in metres (positions) or radians (rotation vectors), double precision.</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    public static Vec3 Zero => default;

    public double Length => Math.Sqrt(Dot(this));

    public double Dot(Vec3 other) => (X * other.X) + (Y * other.Y) + (Z * other.Z);

    public Vec3 Cross(Vec3 o) => new((Y * o.Z) - (Z * o.Y), (Z * o.X) - (X * o.Z), (X * o.Y) - (Y * o.X));

    public Vec3 Normalized()
    {
        var length = Length;
        return length == 0 ? this : this / length;
    }

    public double DistanceTo(Vec3 other) => (this - other).Length;

    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);

    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);

    public static Vec3 operator /(Vec3 a, double s) => new(a.X / s, a.Y / s, a.Z / s);

    public double[] ToArray() => [X, Y, Z];

    public static Vec3 FromArray(IReadOnlyList<double> values)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(values.Count, 3, nameof(values));
        return new(values[0], values[1], values[2]);
    }
}
