namespace EdgePose.Simulation.Scene;

/// <summary>Image conditions of one rendered frame; the random trajectory draws them, tests and probes set them.</summary>
/// <param name="BlurSigmaPx">Gaussian blur sigma in pixels (0 = sharp).</param>
/// <param name="Brightness">Global gain (1 = as rendered).</param>
/// <param name="NoiseSigma">Additive Gaussian noise, 0-255 scale.</param>
/// <param name="OcclusionFraction">Target share of each object's silhouette covered by an occluder (0 = none).</param>
/// <param name="MarkerHidden">Hide every marker (covered or not printed).</param>
public sealed record SceneConditions(double BlurSigmaPx, double Brightness, double NoiseSigma, double OcclusionFraction, bool MarkerHidden)
{
    public static SceneConditions Clean { get; } = new(0, 1, 0, 0, false);
}
