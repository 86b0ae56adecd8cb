using System.Collections.Immutable;
using System.Text.Json;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Core.Datasets;

/// <summary>
/// The parts of a BOP dataset that every writer shares — the lab's renderer and the daemon's failure capture — so both
/// write the layout that <c>edgepose-lab eval</c> and training read.
/// </summary>
public static class BopDatasetFiles
{
    /// <summary>OpenCV's IMWRITE_PNG_FILTER, which OpenCvSharp's enum lacks; the value selects PNG_FILTER_SUB.</summary>
    private const ImwriteFlags PngFilter = (ImwriteFlags)19;
    private const int PngFilterSub = 16;

    /// <summary>
    /// Level 1 with RLE and the SUB filter: setting the level alone makes libpng try every filter with full deflate, which
    /// doubled the encode time of these noisy frames (11 vs 29 ms CPU at 640×480, for 470 vs 520 KB), and the PNG is most of a frame's cost.
    /// </summary>
    public static IReadOnlyList<ImageEncodingParam> PngFast { get; } =
        [new(ImwriteFlags.PngCompression, 1), new(ImwriteFlags.PngStrategy, (int)ImwritePNGFlags.StrategyRLE), new(PngFilter, PngFilterSub)];

    /// <summary>camera.json and models/models_info.json for <paramref name="objects"/> (keyed by their dataset ids).</summary>
    public static void WriteDatasetInfo(string root, CameraIntrinsics camera, ImmutableArray<TargetObject> objects)
    {
        Directory.CreateDirectory(Path.Combine(root, BopFormat.ModelsFolder));
        WriteJson(Path.Combine(root, BopFormat.CameraFile), new BopCamera(camera.Cx, camera.Cy, camera.Fx, camera.Fy, camera.Width, camera.Height, 1.0));
        WriteJson(Path.Combine(root, BopFormat.ModelsFolder, BopFormat.ModelsInfoFile), objects.ToDictionary(o => o.DatasetId, ModelInfo));
    }

    /// <summary>scene_camera.json entry: K row-major, depth unused.</summary>
    public static BopSceneCamera SceneCamera(CameraIntrinsics camera) => new([camera.Fx, 0, camera.Cx, 0, camera.Fy, camera.Cy, 0, 0, 1], 1.0);

    /// <summary>scene_gt.json entry: BOP's x_camera = R · x_model + t with t in millimetres.</summary>
    public static (IReadOnlyList<double> Rotation, IReadOnlyList<double> TranslationMillimetres) ToBop(Geometry.RigidTransform pose)
    {
        var t = pose.Translation * BopFormat.MillimetresPerMetre;
        return (pose.Rotation.ToRowMajor(), [t.X, t.Y, t.Z]);
    }

    public static void WriteJson<T>(string path, T value)
    {
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, value);
    }

    private static BopModelInfo ModelInfo(TargetObject obj)
    {
        var size = obj.Size * BopFormat.MillimetresPerMetre;

        // The box is textured with a distinct pattern and glyph per face, so no rotation maps its appearance onto itself.
        return new BopModelInfo(obj.Diameter * BopFormat.MillimetresPerMetre, -size.X / 2, -size.Y / 2, -size.Z / 2, size.X, size.Y, size.Z, []);
    }
}
