using System.Collections.Immutable;
using EdgePose.Core.Geometry;

namespace EdgePose.Runtime.Tracking;

/// <summary>
/// One raw pose as the tracker weighs it: its 3×3 position and rotation covariance blocks (row-major), each with the noise
/// floor's variance added to the diagonal. A block with a non-finite entry (degenerate geometry) carries no information.
/// </summary>
internal sealed record Measurement(RigidTransform Pose, double[] PositionCovariance, double[] RotationCovariance, long Timestamp)
{
    /// <summary>Variance standing in for "unknown": a measurement with it moves the filter by nothing noticeable.</summary>
    private const double Unknown = 1e6;

    public static Measurement Of(RigidTransform pose, ImmutableArray<double> covariance, long timestamp, double positionFloor, double angleFloor) =>
        new(pose, Block(covariance, 0, positionFloor * positionFloor), Block(covariance, 3, angleFloor * angleFloor), timestamp);

    private static double[] Block(ImmutableArray<double> covariance, int offset, double floorVariance)
    {
        var block = new double[9];
        var known = covariance.Length == 36;
        for (var i = 0; i < 3 && known; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                block[(i * 3) + j] = covariance[((offset + i) * 6) + offset + j];
                known &= double.IsFinite(block[(i * 3) + j]);
            }
        }

        if (!known)
        {
            Array.Clear(block);
            floorVariance = Unknown;
        }

        for (var i = 0; i < 3; i++)
        {
            block[i * 4] += floorVariance;
        }

        return block;
    }
}

/// <summary>
/// The filter state of one object: a constant-velocity Kalman filter per position axis, and for the rotation a nominal
/// orientation with a constant-velocity error state per axis about the frame's axes (R' = exp([δθ]×)·R, the covariance's
/// convention), folded into the orientation after every step.
/// </summary>
internal sealed class ObjectTrack
{
    private readonly ConstantVelocityAxis[] _position;
    private ConstantVelocityAxis[] _rotation;
    private Rotation3 _orientation;

    private ObjectTrack(Measurement start, int support, Vec3 linearVelocity, Vec3 angularVelocity, double linearRateVariance, double angularRateVariance)
    {
        PositionSupport = support;
        RotationSupport = support;
        _position = Axes(start.Pose.Translation, start.PositionCovariance, linearVelocity, linearRateVariance);
        _rotation = Axes(Vec3.Zero, start.RotationCovariance, angularVelocity, angularRateVariance);
        _orientation = start.Pose.Rotation;
        UpdatedAt = start.Timestamp;
        SightedAt = start.Timestamp;
    }

    /// <summary>Monotonic time the state refers to.</summary>
    public long UpdatedAt { get; private set; }

    /// <summary>Monotonic capture time of the last pose that updated the track.</summary>
    public long SightedAt { get; set; }

    /// <summary>Poses whose position (rotation) updated the track since it started (or took its rotation).</summary>
    public int PositionSupport { get; private set; }

    public int RotationSupport { get; private set; }

    /// <summary>Jumps held back so far, while they agree with each other.</summary>
    public JumpCandidate? Outlier { get; set; }

    public JumpCandidate? Flip { get; set; }

    public RigidTransform Pose => new(_orientation, new Vec3(_position[0].Value, _position[1].Value, _position[2].Value));

    public Vec3 LinearVelocity => new(_position[0].Rate, _position[1].Rate, _position[2].Rate);

    public Vec3 AngularVelocity => new(_rotation[0].Rate, _rotation[1].Rate, _rotation[2].Rate);

    /// <param name="support">How many consistent poses the start rests on (a re-acquiring run's length).</param>
    /// <param name="linearRateVariance">Variance of the unknown starting speed; the velocity converges from it.</param>
    public static ObjectTrack Start(
        Measurement start, int support, Vec3 linearVelocity, Vec3 angularVelocity, double linearRateVariance, double angularRateVariance) =>
        new(start, support, linearVelocity, angularVelocity, linearRateVariance, angularRateVariance);

    /// <summary>6×6 over (x, y, z, rx, ry, rz), row-major; the axes are filtered apart, so only the diagonal is set.</summary>
    public ImmutableArray<double> Covariance()
    {
        var covariance = new double[36];
        for (var i = 0; i < 3; i++)
        {
            covariance[i * 7] = _position[i].Variance;
            covariance[(i + 3) * 7] = _rotation[i].Variance;
        }

        return [.. covariance];
    }

    public void Predict(double seconds, long timestamp, double linearAccelerationVariance, double angularAccelerationVariance)
    {
        foreach (var axis in _position)
        {
            axis.Predict(seconds, linearAccelerationVariance);
        }

        foreach (var axis in _rotation)
        {
            axis.Predict(seconds, angularAccelerationVariance);
        }

        FoldRotation();
        UpdatedAt = timestamp;
    }

    public Vec3 PositionInnovation(Measurement m) => m.Pose.Translation - Pose.Translation;

    /// <summary>The rotation vector that takes the track's orientation to the measured one, about the frame's axes.</summary>
    public Vec3 RotationInnovation(Measurement m) => Rotation3.RotationVectorBetween(_orientation, m.Pose.Rotation);

    /// <summary>Innovation covariance: the track's (diagonal) plus the measurement's block.</summary>
    public double[] PositionInnovationCovariance(Measurement m) => WithDiagonal(m.PositionCovariance, _position);

    public double[] RotationInnovationCovariance(Measurement m) => WithDiagonal(m.RotationCovariance, _rotation);

    public void CorrectPosition(Measurement m)
    {
        Correct(_position, PositionInnovation(m), m.PositionCovariance);
        PositionSupport++;
    }

    public void CorrectRotation(Measurement m)
    {
        Correct(_rotation, RotationInnovation(m), m.RotationCovariance);
        FoldRotation();
        RotationSupport++;
    }

    /// <summary>A persisting flip: the rotation restarts at the measured one, turning at <paramref name="angularVelocity"/>.</summary>
    public void RestartRotation(Measurement m, int support, Vec3 angularVelocity, double angularRateVariance)
    {
        _rotation = Axes(Vec3.Zero, m.RotationCovariance, angularVelocity, angularRateVariance);
        _orientation = m.Pose.Rotation;
        RotationSupport = support;
    }

    private void FoldRotation()
    {
        var error = new Vec3(_rotation[0].Value, _rotation[1].Value, _rotation[2].Value);
        _orientation = Rotation3.FromRodrigues(error) * _orientation;
        foreach (var axis in _rotation)
        {
            axis.Value = 0;
        }
    }

    private static void Correct(ConstantVelocityAxis[] axes, Vec3 innovation, double[] covariance)
    {
        var values = innovation.ToArray();
        for (var i = 0; i < 3; i++)
        {
            axes[i].Correct(values[i], covariance[i * 4]);
        }
    }

    private static double[] WithDiagonal(double[] block, ConstantVelocityAxis[] axes)
    {
        var sum = (double[])block.Clone();
        for (var i = 0; i < 3; i++)
        {
            sum[i * 4] += axes[i].Variance;
        }

        return sum;
    }

    private static ConstantVelocityAxis[] Axes(Vec3 values, double[] covariance, Vec3 rates, double rateVariance) =>
    [
        new(values.X, covariance[0], rates.X, rateVariance),
        new(values.Y, covariance[4], rates.Y, rateVariance),
        new(values.Z, covariance[8], rates.Z, rateVariance),
    ];
}

/// <summary>Consecutive jumps that agree with each other: the first and the latest, and how many.</summary>
internal sealed record JumpCandidate(Measurement First, Measurement Last, int Count);
