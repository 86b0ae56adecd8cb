using System.ComponentModel.DataAnnotations;
using OpenCvSharp.Aruco;

namespace EdgePose.Runtime.Baseline;

/// <summary>Configuration section "EdgePose:Baseline": the scripted ArUco + PnP estimator.</summary>
public sealed class BaselineOptions
{
    public const string SectionName = "EdgePose:Baseline";

    /// <summary>RMS reprojection error at which confidence reaches 0 (it is 1 at 0 px, linear in between).</summary>
    [Range(0.1, 100)] public double MaxReprojectionErrorPx { get; set; } = 3;

    /// <summary>
    /// The pose is rotation-ambiguous when the flipped IPPE solution reprojects within this factor of the best one
    /// (errors below <see cref="Core.Geometry.PnpSolver.MinimumPixelSigma"/> count as that much: no detector resolves less).
    /// </summary>
    [Range(1, 100)] public double AmbiguityErrorRatio { get; set; } = 2;

    /// <summary>Confidence multiplier for rotation-ambiguous poses.</summary>
    [Range(0, 1)] public double AmbiguousConfidenceFactor { get; set; } = 0.5;

    /// <summary>
    /// A marker pose below this confidence is not served: nearly all such poses miss 1 cm or 5° (far or grazing markers
    /// that four corners pin down poorly). Chosen on the validation split with the bundled model (models/MODEL_CARD.md).
    /// </summary>
    [Range(0, 1)] public double ConfidenceThreshold { get; set; } = 0.15;

    /// <summary>ArUco's own corner refinement; with <see cref="FitCornersToEdges"/> it only seeds the edge fit.</summary>
    public CornerRefineMethod CornerRefinement { get; set; } = CornerRefineMethod.Subpix;

    /// <summary>
    /// Re-derive each corner from lines fitted to the sub-pixel edge points along the marker's sides: several times
    /// more accurate than corner refinement on small markers. Falls back to the detector's corners where the edges are unclear.
    /// </summary>
    public bool FitCornersToEdges { get; set; } = true;
}
