using System.Text.Json;

namespace EdgePose.Runtime.Datasets;

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

/// <summary>Reads what <see cref="BopDatasetWriter"/> writes, through the same records, so field names cannot drift apart.</summary>
public static class BopDatasetReader
{
    public static BopDataset Read(string root, string split)
    {
        var scene = BopFormat.ScenePath(root, split);
        var cameras = ReadJson<Dictionary<int, BopSceneCamera>>(Path.Combine(scene, BopFormat.SceneCameraFile));
        var gt = ReadJson<Dictionary<int, BopGroundTruth[]>>(Path.Combine(scene, BopFormat.SceneGroundTruthFile));
        var info = ReadJson<Dictionary<int, BopGroundTruthInfo[]>>(Path.Combine(scene, BopFormat.SceneGroundTruthInfoFile));
        // Only EdgePose writes scene_edgepose.json; other BOP datasets read without it.
        var factsPath = Path.Combine(scene, BopFormat.SceneEdgePoseFile);
        var facts = File.Exists(factsPath) ? ReadJson<Dictionary<int, EdgePoseObjectFacts[]>>(factsPath) : [];
        var frames = gt.Keys.Order().Select(id => new BopFrame(
            id,
            BopFormat.RgbPath(scene, id),
            cameras[id],
            gt[id],
            info[id],
            facts.GetValueOrDefault(id) ?? [])).ToArray();
        return new BopDataset(
            ReadJson<BopCamera>(Path.Combine(root, BopFormat.CameraFile)),
            ReadJson<Dictionary<int, BopModelInfo>>(Path.Combine(root, BopFormat.ModelsFolder, BopFormat.ModelsInfoFile)),
            frames);
    }

    private static T ReadJson<T>(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<T>(stream) ?? throw new InvalidDataException($"{path}: empty JSON.");
    }
}
