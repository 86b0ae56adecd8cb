using System.ComponentModel.DataAnnotations;

namespace EdgePose.Core.Objects;

/// <summary>Pinhole intrinsics of the camera, inline or from an OpenCV calibration file.</summary>
public sealed class CameraOptions
{
    /// <summary>YAML/XML written by cv::FileStorage (camera_matrix, distortion_coefficients, image_width, image_height). Overrides the inline values.</summary>
    public string? CalibrationFile { get; set; }

    [Range(1, 100000)] public double Fx { get; set; } = 600;

    [Range(1, 100000)] public double Fy { get; set; } = 600;

    [Range(0, 100000)] public double Cx { get; set; } = 320;

    [Range(0, 100000)] public double Cy { get; set; } = 240;

    /// <summary>OpenCV distortion coefficients (k1, k2, p1, p2[, k3[, k4, k5, k6]]); empty means none.</summary>
    public double[]? Distortion { get; set; }

    /// <summary>The image size the intrinsics were calibrated at; frames of another size get scaled intrinsics.</summary>
    [Range(16, 8192)] public int ImageWidth { get; set; } = 640;

    [Range(16, 8192)] public int ImageHeight { get; set; } = 480;

    /// <summary>T_base_camera from hand-eye calibration. When set, poses are reported in the robot base frame.</summary>
    public TransformOptions? CameraToBase { get; set; }
}
