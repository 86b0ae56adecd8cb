namespace EdgePose.Runtime.Tracking;

/// <summary>
/// One axis of a constant-velocity Kalman filter driven by white-noise acceleration: a value, its rate and their 2×2
/// covariance. Three of them filter the position; three more filter the rotation's error state about the frame's axes.
/// </summary>
internal sealed class ConstantVelocityAxis
{
    private double _p00;
    private double _p01;
    private double _p11;

    public ConstantVelocityAxis(double value, double variance, double rate, double rateVariance)
    {
        Value = value;
        Rate = rate;
        _p00 = variance;
        _p11 = rateVariance;
    }

    public double Value { get; set; }

    public double Rate { get; private set; }

    public double Variance => _p00;

    /// <param name="accelerationVariance">Spectral density of the acceleration noise, (unit/s²)²·s.</param>
    public void Predict(double seconds, double accelerationVariance)
    {
        var dt = seconds;
        Value += Rate * dt;
        var q = accelerationVariance;
        _p00 += (dt * ((2 * _p01) + (dt * _p11))) + (q * dt * dt * dt / 3);
        _p01 += (dt * _p11) + (q * dt * dt / 2);
        _p11 += q * dt;
    }

    /// <summary>Takes a measurement that differs from <see cref="Value"/> by <paramref name="innovation"/>, with variance <paramref name="measurementVariance"/>.</summary>
    public void Correct(double innovation, double measurementVariance)
    {
        var s = _p00 + measurementVariance;
        var k0 = _p00 / s;
        var k1 = _p01 / s;
        Value += k0 * innovation;
        Rate += k1 * innovation;
        _p11 -= k1 * _p01;
        _p01 *= 1 - k0;
        _p00 *= 1 - k0;
    }
}
