using EdgePose.Core.Datasets;
using System.Text.Json;

namespace EdgePose.Lab.Datasets;

/// <summary>One image of a BOP scene with its labels, objects in scene_gt order.</summary>
public sealed record BopFrame(
    int ImageId,
    string RgbPath,
    BopSceneCamera Camera,
    IReadOnlyList<BopGroundTruth> GroundTruth,
    IReadOnlyList<BopGroundTruthInfo> Info,
    IReadOnlyList<EdgePoseObjectFacts> Facts);

/// <summary>A split as <see cref="BopDatasetWriter"/> wrote it; frames in image-id order.</summary>
public sealed record BopDataset(BopCamera Camera, IReadOnlyDictionary<int, BopModelInfo> Models, IReadOnlyList<BopFrame> Frames);

/// <summary>A dataset file is missing or malformed; the message names the file and, where there is one, the image and field.</summary>
public sealed class BopDatasetException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads what <see cref="BopDatasetWriter"/> writes, through the same records, so field names cannot drift apart.</summary>
public static class BopDatasetReader
{
    /// <param name="withFacts">False: ignore scene_edgepose.json (which <c>edgepose-lab label</c> is about to rewrite).</param>
    public static BopDataset Read(string root, string split, bool withFacts = true)
    {
        var scene = BopFormat.ScenePath(root, split);
        var cameraPath = Path.Combine(scene, BopFormat.SceneCameraFile);
        var gtPath = Path.Combine(scene, BopFormat.SceneGroundTruthFile);
        var infoPath = Path.Combine(scene, BopFormat.SceneGroundTruthInfoFile);
        var cameras = ReadJson<Dictionary<int, BopSceneCamera>>(cameraPath);
        var gt = ReadJson<Dictionary<int, BopGroundTruth[]>>(gtPath);
        var info = ReadJson<Dictionary<int, BopGroundTruthInfo[]>>(infoPath);
        // Only EdgePose writes scene_edgepose.json; other BOP datasets read without it.
        var factsPath = Path.Combine(scene, BopFormat.SceneEdgePoseFile);
        var facts = withFacts && File.Exists(factsPath) ? ReadJson<Dictionary<int, EdgePoseObjectFacts[]>>(factsPath) : [];
        var frames = gt.Keys.Order().Select(id =>
        {
            var camera = Entry(cameras, id, cameraPath, gtPath);
            Require(camera.CamK, 9, cameraPath, id, "cam_K");
            var objects = gt[id] ?? throw Malformed(gtPath, id, "must be a list of objects");
            foreach (var o in objects)
            {
                Require(o?.CamRM2C, 9, gtPath, id, "cam_R_m2c");
                Require(o!.CamTM2C, 3, gtPath, id, "cam_t_m2c");
            }

            var objectInfo = Entry(info, id, infoPath, gtPath);
            var objectFacts = facts.Count == 0 ? [] : Entry(facts, id, factsPath, gtPath);
            if (objectInfo.Length != objects.Length || (facts.Count > 0 && objectFacts.Length != objects.Length))
            {
                throw Malformed(objectInfo.Length != objects.Length ? infoPath : factsPath, id, $"must list the same {objects.Length} object(s) as {BopFormat.SceneGroundTruthFile}");
            }

            var rgb = RgbPath(scene, id);
            return File.Exists(rgb) ? new BopFrame(id, rgb, camera, objects, objectInfo, objectFacts) : throw new BopDatasetException($"{rgb}: missing (image {id} of {BopFormat.SceneGroundTruthFile}).");
        }).ToArray();
        return new BopDataset(
            ReadJson<BopCamera>(Path.Combine(root, BopFormat.CameraFile)),
            ReadJson<Dictionary<int, BopModelInfo>>(Path.Combine(root, BopFormat.ModelsFolder, BopFormat.ModelsInfoFile)),
            frames);
    }

    /// <summary>Our renderer writes PNG; other BOP datasets ship JPEG for some splits.</summary>
    private static string RgbPath(string scene, int imageId)
    {
        var png = BopFormat.RgbPath(scene, imageId);
        var jpg = Path.ChangeExtension(png, ".jpg");
        return File.Exists(png) || !File.Exists(jpg) ? png : jpg;
    }

    private static T Entry<T>(Dictionary<int, T> entries, int imageId, string path, string gtPath) =>
        entries.TryGetValue(imageId, out var entry) && entry is not null
            ? entry
            : throw Malformed(path, imageId, $"missing (listed in {Path.GetFileName(gtPath)})");

    private static void Require(IReadOnlyList<double>? values, int count, string path, int imageId, string field)
    {
        if (values is null || values.Count != count || values.Any(v => !double.IsFinite(v)))
        {
            throw Malformed(path, imageId, $"{field} must have {count} numbers");
        }
    }

    private static BopDatasetException Malformed(string path, int imageId, string problem) => new($"{path}: image {imageId}: {problem}.");

    private static T ReadJson<T>(string path)
    {
        if (!File.Exists(path))
        {
            throw new BopDatasetException($"{path}: missing.");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream) ?? throw new BopDatasetException($"{path}: empty JSON.");
        }
        catch (JsonException ex)
        {
            // The serializer's path ($.12.cam_t_m2c[0]) names the image and the field.
            throw new BopDatasetException($"{path}: {(ex.Path is { Length: > 1 } field ? $"at {field}: " : "")}{ex.Message.Split(" Path:", 2)[0]}", ex);
        }
    }
}
