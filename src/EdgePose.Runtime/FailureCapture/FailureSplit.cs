using System.Text.Json;
using EdgePose.Core.Datasets;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Runtime.Metrics;
using OpenCvSharp;

namespace EdgePose.Runtime.FailureCapture;

/// <summary>
/// One daemon run's captured frames as a BOP split, <c>root/failures-&lt;UTC start&gt;/000000</c>, next to the dataset's
/// camera.json and models/models_info.json (written when the root has none). The scene's JSON files are rewritten after
/// every frame (write, then rename), so a reader or labeller always sees a complete split. scene_gt.json and
/// scene_gt_info.json list no objects until a labeller fills them in; scene_served.json holds what was served.
/// </summary>
internal sealed class FailureSplit
{
    private const string SplitPrefix = "failures-";

    private readonly string _scenePath;
    private readonly Workcell _workcell;
    private readonly long _maxBytes;
    private readonly Dictionary<int, BopSceneCamera> _cameras = [];
    private readonly Dictionary<int, BopGroundTruth[]> _groundTruth = [];
    private readonly Dictionary<int, BopGroundTruthInfo[]> _info = [];
    private readonly Dictionary<int, BopServedFrame> _served = [];
    private long _sceneJsonBytes;

    private FailureSplit(string root, string split, Workcell workcell, long usedBytes, long maxBytes)
    {
        Root = root;
        Split = split;
        _scenePath = BopFormat.ScenePath(root, split);
        _workcell = workcell;
        UsedBytes = usedBytes;
        _maxBytes = maxBytes;
    }

    public string Root { get; }

    public string Split { get; }

    public int Frames => _cameras.Count;

    /// <summary>Bytes of every file under the root, this split's included.</summary>
    public long UsedBytes { get; private set; }

    /// <summary>Starts a new split in <paramref name="root"/>; files already there (earlier runs) count towards the cap.</summary>
    public static FailureSplit Create(string root, DateTimeOffset start, Workcell workcell, long maxBytes)
    {
        var stamp = start.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var split = SplitPrefix + stamp;
        for (var n = 2; Directory.Exists(Path.Combine(root, split)); n++)
        {
            split = $"{SplitPrefix}{stamp}-{n}";
        }

        Directory.CreateDirectory(Path.Combine(BopFormat.ScenePath(root, split), BopFormat.RgbFolder));
        if (!File.Exists(Path.Combine(root, BopFormat.CameraFile)))
        {
            BopDatasetFiles.WriteDatasetInfo(root, workcell.Camera, workcell.Objects);
        }

        var used = new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        return new FailureSplit(root, split, workcell, used, maxBytes);
    }

    /// <summary>Writes the frame and its served poses; false (and nothing written) when that would take the root over the cap.</summary>
    public bool TryAdd(CapturedFrame frame)
    {
        var id = _cameras.Count;
        if (id >= BopFormat.MaxImagesPerScene)
        {
            return false;
        }

        Cv2.ImEncode(".png", frame.Image, out var png, [.. BopDatasetFiles.PngFast]);
        _cameras[id] = BopDatasetFiles.SceneCamera(_workcell.Camera.ScaledTo(frame.Image.Width, frame.Image.Height));
        _groundTruth[id] = [];
        _info[id] = [];
        _served[id] = Served(frame.Result);
        var json = new (string File, byte[] Bytes)[]
        {
            (BopFormat.SceneCameraFile, JsonSerializer.SerializeToUtf8Bytes(_cameras)),
            (BopFormat.SceneGroundTruthFile, JsonSerializer.SerializeToUtf8Bytes(_groundTruth)),
            (BopFormat.SceneGroundTruthInfoFile, JsonSerializer.SerializeToUtf8Bytes(_info)),
            (BopFormat.SceneServedFile, JsonSerializer.SerializeToUtf8Bytes(_served)),
        };
        var jsonBytes = json.Sum(j => (long)j.Bytes.Length);
        var used = UsedBytes - _sceneJsonBytes + jsonBytes + png.Length;
        if (used > _maxBytes)
        {
            _cameras.Remove(id);
            _groundTruth.Remove(id);
            _info.Remove(id);
            _served.Remove(id);
            return false;
        }

        File.WriteAllBytes(BopFormat.RgbPath(_scenePath, id), png);
        foreach (var (file, bytes) in json)
        {
            var path = Path.Combine(_scenePath, file);
            File.WriteAllBytes(path + ".tmp", bytes);
            File.Move(path + ".tmp", path, overwrite: true);
        }

        UsedBytes = used;
        _sceneJsonBytes = jsonBytes;
        return true;
    }

    private BopServedFrame Served(PoseResult result) => new(
        result.FrameSequence,
        result.CaptureTime,
        result.Synthetic,
        [.. result.Poses.Select(pose =>
        {
            var (rotation, translation) = pose.Estimate is { } estimate ? BopDatasetFiles.ToBop(estimate.Pose) : (null, null);
            return new BopServedPose(
                _workcell.FindObject(pose.ObjectId)?.DatasetId ?? 0,
                pose.ObjectId,
                PoseMetrics.Label(pose.Source),
                PoseMetrics.Label(pose.FallbackReason),
                pose.Estimate?.Confidence,
                pose.Estimate?.ReprojectionErrorPx,
                pose.Frame == PoseFrame.Camera ? "camera" : "base",
                rotation,
                translation);
        })]);
}
