using EdgePose.Core.Datasets;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using EdgePose.Core.Objects;
using EdgePose.Simulation.Scene;
using OpenCvSharp;

namespace EdgePose.Lab.Datasets;

/// <summary>The output split already holds files and overwriting was not asked for.</summary>
public sealed class DatasetExistsException(string message) : Exception(message);

/// <summary>
/// Writes rendered frames as one BOP scene (<c>root/split/000000</c>) plus the dataset's camera.json and models.
/// <see cref="Write"/> is thread-safe for distinct image ids; the JSON files are written once, in id order, by <see cref="Complete"/>.
/// </summary>
public sealed class BopDatasetWriter
{
    private readonly string _scenePath;
    private readonly CameraIntrinsics _camera;
    private readonly Dictionary<string, int> _datasetIds;
    private readonly Frame?[] _frames;

    /// <param name="frameCount">Image ids are 0 … frameCount − 1.</param>
    /// <param name="overwrite">Replace an existing scene folder instead of refusing a non-empty split.</param>
    public BopDatasetWriter(string root, string split, CameraIntrinsics camera, ImmutableArray<TargetObject> objects, int frameCount, bool overwrite)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameCount, BopFormat.MaxImagesPerScene);
        var splitPath = Path.Combine(root, split);
        _scenePath = BopFormat.ScenePath(root, split);
        if (Directory.Exists(splitPath) && Directory.EnumerateFileSystemEntries(splitPath).Any())
        {
            if (!overwrite)
            {
                throw new DatasetExistsException($"output '{splitPath}' is not empty; use --force to replace its scene {BopFormat.SceneFolder}.");
            }

            if (Directory.Exists(_scenePath))
            {
                Directory.Delete(_scenePath, recursive: true);
            }
        }

        _camera = camera;
        _datasetIds = objects.ToDictionary(o => o.Id, o => o.DatasetId);
        _frames = new Frame?[frameCount];
        Directory.CreateDirectory(Path.Combine(_scenePath, BopFormat.RgbFolder));
        BopDatasetFiles.WriteDatasetInfo(root, camera, objects);
        for (var i = 0; i < objects.Length; i++)
        {
            File.WriteAllText(BopFormat.ModelPath(root, objects[i].DatasetId), BoxPly(objects[i], i), Encoding.ASCII);
        }
    }

    public string ScenePath => _scenePath;

    /// <summary>Stores the PNG now and the labels for <see cref="Complete"/>; the image id is the scene's index.</summary>
    public void Write(RenderedScene scene)
    {
        var imageId = checked((int)scene.Truth.Index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(imageId, _frames.Length, nameof(scene));
        if (!Cv2.ImWrite(BopFormat.RgbPath(_scenePath, imageId), scene.Image, [.. BopDatasetFiles.PngFast]))
        {
            throw new IOException($"Could not write {BopFormat.RgbPath(_scenePath, imageId)}.");
        }

        _frames[imageId] = ToFrame(scene.Truth);
    }

    /// <summary>Writes scene_camera, scene_gt, scene_gt_info and scene_edgepose; every image id must have been written.</summary>
    public void Complete()
    {
        var missing = Array.FindIndex(_frames, f => f is null);
        if (missing >= 0)
        {
            throw new InvalidOperationException($"Image {missing} was never written.");
        }

        var frames = _frames.Select((f, id) => (Id: id, Frame: f!)).ToArray();
        var sceneCamera = BopDatasetFiles.SceneCamera(_camera);
        BopDatasetFiles.WriteJson(Path.Combine(_scenePath, BopFormat.SceneCameraFile), frames.ToDictionary(f => f.Id, _ => sceneCamera));
        BopDatasetFiles.WriteJson(Path.Combine(_scenePath, BopFormat.SceneGroundTruthFile), frames.ToDictionary(f => f.Id, f => f.Frame.GroundTruth));
        BopDatasetFiles.WriteJson(Path.Combine(_scenePath, BopFormat.SceneGroundTruthInfoFile), frames.ToDictionary(f => f.Id, f => f.Frame.Info));
        BopDatasetFiles.WriteJson(Path.Combine(_scenePath, BopFormat.SceneEdgePoseFile), frames.ToDictionary(f => f.Id, f => f.Frame.Facts));
    }

    private Frame ToFrame(SceneTruth truth)
    {
        var gt = new BopGroundTruth[truth.Objects.Length];
        var info = new BopGroundTruthInfo[truth.Objects.Length];
        var facts = new EdgePoseObjectFacts[truth.Objects.Length];
        for (var i = 0; i < gt.Length; i++)
        {
            var o = truth.Objects[i];
            var objectId = _datasetIds[o.ObjectId];
            var (rotation, translation) = BopDatasetFiles.ToBop(o.Pose);
            gt[i] = new BopGroundTruth(rotation, translation, objectId);
            info[i] = new BopGroundTruthInfo(
                Box(o.BoundingBox),
                Box(o.VisibleBoundingBox),
                o.SilhouettePixels,
                o.VisiblePixels,
                o.SilhouettePixels == 0 ? 0 : (double)o.VisiblePixels / o.SilhouettePixels);
            facts[i] = new EdgePoseObjectFacts(
                objectId,
                [.. o.Keypoints2D.Select(p => (IReadOnlyList<double>)[p.X, p.Y])],
                o.MarkerVisible,
                o.OcclusionFraction,
                o.DistanceMeters,
                truth.BlurSigmaPx,
                truth.Brightness);
        }

        return new Frame(gt, info, facts);
    }

    private static int[] Box(Rect r) => [r.X, r.Y, r.Width, r.Height];

    /// <summary>The box as ASCII PLY in millimetres: the 8 corners in keypoint order, two outward-facing triangles per face in the renderer's face colour.</summary>
    private static string BoxPly(TargetObject obj, int objectIndex)
    {
        using var appearance = new BoxAppearance(obj, objectIndex);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"""
            ply
            format ascii 1.0
            comment EdgePose box '{obj.Id}', millimetres, vertices in TargetObject keypoint order
            element vertex 8
            property float x
            property float y
            property float z
            element face {2 * appearance.Faces.Length}
            property list uchar int vertex_indices
            property uchar red
            property uchar green
            property uchar blue
            end_header

            """);
        foreach (var corner in obj.Corners)
        {
            var mm = corner * BopFormat.MillimetresPerMetre;
            text.Append(CultureInfo.InvariantCulture, $"{mm.X:R} {mm.Y:R} {mm.Z:R}\n");
        }

        for (var f = 0; f < appearance.Faces.Length; f++)
        {
            // CornerIndices run TL, TR, BR, BL with right × down = −normal, so TL-BR-TR and TL-BL-BR wind outwards.
            var c = appearance.Faces[f].CornerIndices;
            var colour = BoxAppearance.FaceColour(f, objectIndex);
            var rgb = $"{(int)colour.Val2} {(int)colour.Val1} {(int)colour.Val0}";
            text.Append(CultureInfo.InvariantCulture, $"3 {c[0]} {c[2]} {c[1]} {rgb}\n3 {c[0]} {c[3]} {c[2]} {rgb}\n");
        }

        return text.ToString();
    }

    private sealed record Frame(BopGroundTruth[] GroundTruth, BopGroundTruthInfo[] Info, EdgePoseObjectFacts[] Facts);
}
