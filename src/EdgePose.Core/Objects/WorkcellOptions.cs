using System.ComponentModel.DataAnnotations;

namespace EdgePose.Core.Objects;

/// <summary>Configuration section "EdgePose:Workcell": the camera and the objects it looks at.</summary>
public sealed class WorkcellOptions
{
    public const string SectionName = "EdgePose:Workcell";

    [Required] public CameraOptions Camera { get; set; } = new();

    /// <summary>Objects to estimate. Empty means the default 10 × 6 × 4 cm box with marker 7 of Dict4X4_50.</summary>
    public List<TargetObjectOptions> Objects { get; set; } = [];
}
