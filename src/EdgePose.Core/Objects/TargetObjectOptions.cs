using System.ComponentModel.DataAnnotations;

namespace EdgePose.Core.Objects;

/// <summary>One object the daemon estimates: a box with an ArUco marker fixed to it.</summary>
public sealed class TargetObjectOptions
{
    [Required, RegularExpression("^[a-z0-9][a-z0-9_-]{0,63}$", ErrorMessage = "Id must be 1-64 chars of a-z, 0-9, '_' or '-'.")]
    public string Id { get; set; } = "box";

    public string Name { get; set; } = "10 × 6 × 4 cm box";

    /// <summary>Numeric id used in BOP datasets (obj_id).</summary>
    [Range(1, 65535)] public int DatasetId { get; set; } = 1;

    [Range(0.001, 5)] public double SizeXMeters { get; set; } = 0.10;

    [Range(0.001, 5)] public double SizeYMeters { get; set; } = 0.06;

    [Range(0.001, 5)] public double SizeZMeters { get; set; } = 0.04;

    [Required] public MarkerOptions Marker { get; set; } = new();

    /// <summary>T_object_grasp: where the gripper should go, in the object frame. Reported poses are of this frame when set.</summary>
    public TransformOptions? GraspOffset { get; set; }
}

public sealed class MarkerOptions
{
    /// <summary>An OpenCV predefined dictionary name, e.g. Dict4X4_50 (see OpenCvSharp.Aruco.PredefinedDictionaryType).</summary>
    [Required] public string Dictionary { get; set; } = "Dict4X4_50";

    [Range(0, 4095)] public int Id { get; set; } = 7;

    /// <summary>Side of the black square, without the white quiet zone.</summary>
    [Range(0.001, 2)] public double SideMeters { get; set; } = 0.04;

    /// <summary>T_object_marker: the marker frame (x right, y up, z out of the printed face) in the object frame. Default: centred on the top (+Z) face.</summary>
    [Required] public TransformOptions PoseInObject { get; set; } = new() { ZMeters = 0.02 };
}
