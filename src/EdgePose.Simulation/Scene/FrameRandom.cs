using EdgePose.Core.Geometry;

namespace EdgePose.Simulation.Scene;

/// <summary>Per-frame random streams: each (seed, index, stream) gets its own generator, so frames are independent and reproducible.</summary>
internal static class FrameRandom
{
    public const int TrajectoryStream = 1;
    public const int AppearanceStream = 2;

    public static Random Create(int seed, long index, int stream) => new((int)(Mix(seed, index, stream) >> 33));

    /// <summary>A 64-bit state for OpenCV's thread-local RNG, from the same derivation.</summary>
    public static ulong OpenCvState(int seed, long index) => Mix(seed, index, 3) | 1;

    public static double Uniform(this Random random, double min, double max) => min + ((max - min) * random.NextDouble());

    /// <summary>Shoemake's method: uniform over SO(3).</summary>
    public static Rotation3 UniformRotation(this Random random)
    {
        var (u1, u2, u3) = (random.NextDouble(), random.NextDouble() * 2 * Math.PI, random.NextDouble() * 2 * Math.PI);
        var (a, b) = (Math.Sqrt(1 - u1), Math.Sqrt(u1));
        return Rotation3.FromQuaternion(new UnitQuaternion(b * Math.Cos(u3), a * Math.Sin(u2), a * Math.Cos(u2), b * Math.Sin(u3)));
    }

    // SplitMix64 finaliser: neighbouring indices must not give correlated System.Random seeds.
    private static ulong Mix(int seed, long index, int stream)
    {
        var z = unchecked(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xBF58476D1CE4E5B9UL) ^ ((ulong)stream << 56));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
