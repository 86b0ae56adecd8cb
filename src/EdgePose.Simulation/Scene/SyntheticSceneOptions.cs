using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using EdgePose.Core.Configuration;

namespace EdgePose.Simulation.Scene;

[TypeConverter(typeof(ChoiceConverter<TrajectoryKind>))]
public enum TrajectoryKind
{
    /// <summary>A smooth, repeating path through the distance range and around the object, for a live demo feed.</summary>
    Scripted,
    /// <summary>An independent random pose per frame, for datasets and evaluation.</summary>
    Random,
}

/// <summary>The synthetic scene: the camera is the workcell camera (its intrinsics and image size); the objects are the workcell's.</summary>
public sealed class SyntheticSceneOptions
{
    /// <summary>The synthetic camera's settings (EdgePose:Capture:Source = Synthetic).</summary>
    public const string SectionName = "EdgePose:Capture:Synthetic";

    /// <summary>Frame i of seed s is the same image on every machine.</summary>
    public int Seed { get; set; } = 1;

    [Range(0.1, 1000)] public double FramesPerSecond { get; set; } = 30;

    public TrajectoryKind Trajectory { get; set; } = TrajectoryKind.Scripted;

    [Range(0.05, 20)] public double MinDistanceMeters { get; set; } = 0.3;

    [Range(0.05, 20)] public double MaxDistanceMeters { get; set; } = 1.0;

    /// <summary>Standard deviation of additive Gaussian pixel noise (0-255 scale).</summary>
    [Range(0, 50)] public double NoiseSigma { get; set; } = 2;

    [Range(0, 1)] public double BlurProbability { get; set; } = 0.2;

    /// <summary>Largest Gaussian blur sigma in pixels, drawn uniformly up to this when a frame is blurred.</summary>
    [Range(0, 20)] public double MaxBlurSigmaPx { get; set; } = 2;

    /// <summary>Global brightness gain range (1 = as rendered).</summary>
    [Range(0.05, 5)] public double MinBrightness { get; set; } = 0.6;

    [Range(0.05, 5)] public double MaxBrightness { get; set; } = 1.3;

    [Range(0, 1)] public double OcclusionProbability { get; set; } = 0.2;

    /// <summary>Largest share of the object's silhouette an occluder may cover.</summary>
    [Range(0, 1)] public double MaxOcclusionFraction { get; set; } = 0.3;

    /// <summary>Share of frames in which the marker is covered (the baseline cannot answer those).</summary>
    [Range(0, 1)] public double MarkerHiddenProbability { get; set; }

    /// <summary>Number of random shapes in the background.</summary>
    [Range(0, 500)] public int ClutterShapes { get; set; } = 40;
}
