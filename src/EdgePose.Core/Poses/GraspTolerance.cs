namespace EdgePose.Core.Poses;

/// <summary>
/// The grasp's tolerances, against which a pose's uncertainty is judged: confidence falls as exp(−z), z being the
/// covariance's position deviation in units of <see cref="PositionMeters"/> or its angle deviation in units of
/// <see cref="AngleDegrees"/>, whichever is larger. Model and baseline poses are judged alike, so one threshold means the
/// same for both.
/// </summary>
public sealed record GraspTolerance(double PositionMeters, double AngleDegrees)
{
    /// <summary>1 cm and 5°, the grasping requirement.</summary>
    public static readonly GraspTolerance Default = new(0.01, 5);

    /// <summary>How far a pose with this covariance (ordered t, r) may be off, in tolerances; infinite for a degenerate solve.</summary>
    public double Units(IReadOnlyList<double> covariance)
    {
        var position = Math.Sqrt(covariance[0] + covariance[7] + covariance[14]);
        var angleDegrees = double.RadiansToDegrees(Math.Sqrt(covariance[21] + covariance[28] + covariance[35]));
        var units = Math.Max(position / PositionMeters, angleDegrees / AngleDegrees);
        return double.IsNaN(units) ? double.PositiveInfinity : units;
    }

    /// <summary>exp(−<see cref="Units"/>): 1 for a pose pinned down far inside the tolerances, 1/e at one tolerance.</summary>
    public double Confidence(IReadOnlyList<double> covariance) => Math.Exp(-Units(covariance));
}
