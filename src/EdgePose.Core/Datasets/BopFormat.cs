using System.Text.Json.Serialization;

namespace EdgePose.Core.Datasets;

/// <summary>
/// One BOP dataset (https://bop.felk.cvut.cz/datasets/) as EdgePose writes and reads it: camera.json and models/ at the root,
/// one scene folder per split. Lengths are millimetres as BOP specifies, except our own scene_edgepose.json (metres, pixels).
/// </summary>
public static class BopFormat
{
    public const string CameraFile = "camera.json";
    public const string ModelsFolder = "models";
    public const string ModelsInfoFile = "models_info.json";
    public const string SceneCameraFile = "scene_camera.json";
    public const string SceneGroundTruthFile = "scene_gt.json";
    public const string SceneGroundTruthInfoFile = "scene_gt_info.json";

    /// <summary>Our per-object facts that BOP has no field for, keyed and ordered like scene_gt.json.</summary>
    public const string SceneEdgePoseFile = "scene_edgepose.json";

    /// <summary>What the daemon served for each frame of a captured split, keyed like scene_gt.json (<see cref="BopServedFrame"/>).</summary>
    public const string SceneServedFile = "scene_served.json";
    public const string RgbFolder = "rgb";

    /// <summary>EdgePose renders one scene per split; BOP numbers scenes from 0.</summary>
    public const string SceneFolder = "000000";

    public const double MillimetresPerMetre = 1000;

    /// <summary>BOP ids are 6 digits, which bounds a scene's image count.</summary>
    public const int MaxImagesPerScene = 1_000_000;

    public static string ScenePath(string root, string split) => Path.Combine(root, split, SceneFolder);

    public static string ModelPath(string root, int objectId) => Path.Combine(root, ModelsFolder, $"obj_{objectId:D6}.ply");

    public static string RgbPath(string scenePath, int imageId) => Path.Combine(scenePath, RgbFolder, $"{imageId:D6}.png");
}

/// <summary>camera.json: the intrinsics shared by the dataset (every frame also carries its own cam_K).</summary>
public sealed record BopCamera(
    [property: JsonPropertyName("cx")] double Cx,
    [property: JsonPropertyName("cy")] double Cy,
    [property: JsonPropertyName("fx")] double Fx,
    [property: JsonPropertyName("fy")] double Fy,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("depth_scale")] double DepthScale);

/// <summary>models_info.json entry: extents in millimetres in the model frame.</summary>
public sealed record BopModelInfo(
    [property: JsonPropertyName("diameter")] double Diameter,
    [property: JsonPropertyName("min_x")] double MinX,
    [property: JsonPropertyName("min_y")] double MinY,
    [property: JsonPropertyName("min_z")] double MinZ,
    [property: JsonPropertyName("size_x")] double SizeX,
    [property: JsonPropertyName("size_y")] double SizeY,
    [property: JsonPropertyName("size_z")] double SizeZ,
    [property: JsonPropertyName("symmetries_discrete")] IReadOnlyList<IReadOnlyList<double>> SymmetriesDiscrete);

/// <summary>scene_camera.json entry: K row-major.</summary>
public sealed record BopSceneCamera(
    [property: JsonPropertyName("cam_K")] IReadOnlyList<double> CamK,
    [property: JsonPropertyName("depth_scale")] double DepthScale);

/// <summary>scene_gt.json entry: x_camera = R · x_model + t, R row-major, t in millimetres.</summary>
public sealed record BopGroundTruth(
    [property: JsonPropertyName("cam_R_m2c")] IReadOnlyList<double> CamRM2C,
    [property: JsonPropertyName("cam_t_m2c")] IReadOnlyList<double> CamTM2C,
    [property: JsonPropertyName("obj_id")] int ObjectId);

/// <summary>scene_gt_info.json entry: boxes as [x, y, width, height] in pixels; visib_fract = px_count_visib / px_count_all.</summary>
public sealed record BopGroundTruthInfo(
    [property: JsonPropertyName("bbox_obj")] IReadOnlyList<int> BoundingBoxObject,
    [property: JsonPropertyName("bbox_visib")] IReadOnlyList<int> BoundingBoxVisible,
    [property: JsonPropertyName("px_count_all")] int PixelCountAll,
    [property: JsonPropertyName("px_count_visib")] int PixelCountVisible,
    [property: JsonPropertyName("visib_fract")] double VisibleFraction);

/// <summary>
/// scene_edgepose.json entry: the labels that BOP has no field for. The renderer knows them all; for a labelled camera
/// frame (<c>edgepose-lab label</c>) the marker's visibility, the blur and the brightness are unknown (null).
/// </summary>
/// <param name="Keypoints2D">[u, v] per keypoint in <see cref="Objects.TargetObject.Keypoints"/> order (8 corners, then the centre).</param>
public sealed record EdgePoseObjectFacts(
    [property: JsonPropertyName("obj_id")] int ObjectId,
    [property: JsonPropertyName("keypoints_2d")] IReadOnlyList<IReadOnlyList<double>> Keypoints2D,
    [property: JsonPropertyName("marker_visible")] bool? MarkerVisible,
    [property: JsonPropertyName("occlusion_fraction")] double OcclusionFraction,
    [property: JsonPropertyName("distance_m")] double DistanceMeters,
    [property: JsonPropertyName("blur_sigma_px")] double? BlurSigmaPx,
    [property: JsonPropertyName("brightness")] double? Brightness);

/// <summary>
/// scene_served.json entry, keyed like scene_gt.json: what the daemon served for a frame it captured because the model
/// failed on it. The ground truth of such a frame is unknown, so its scene_gt.json entry stays empty until a labeller
/// writes the true poses there; these records are the starting point, never ground truth.
/// </summary>
public sealed record BopServedFrame(
    [property: JsonPropertyName("frame_sequence")] long FrameSequence,
    [property: JsonPropertyName("capture_time")] DateTimeOffset CaptureTime,
    [property: JsonPropertyName("synthetic")] bool Synthetic,
    [property: JsonPropertyName("poses")] IReadOnlyList<BopServedPose> Poses);

/// <summary>
/// One object's served answer. The pose is as served: <see cref="Frame"/> says whether R and t (millimetres) are in the
/// camera frame, as scene_gt.json wants them, or in the robot base frame; both are null when nothing was found.
/// </summary>
public sealed record BopServedPose(
    [property: JsonPropertyName("obj_id")] int ObjectId,
    [property: JsonPropertyName("object")] string WorkcellObjectId,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("fallback_reason")] string FallbackReason,
    [property: JsonPropertyName("confidence")] double? Confidence,
    [property: JsonPropertyName("reprojection_error_px")] double? ReprojectionErrorPx,
    [property: JsonPropertyName("frame")] string Frame,
    [property: JsonPropertyName("cam_R_m2c")] IReadOnlyList<double>? CamRM2C,
    [property: JsonPropertyName("cam_t_m2c")] IReadOnlyList<double>? CamTM2C);
