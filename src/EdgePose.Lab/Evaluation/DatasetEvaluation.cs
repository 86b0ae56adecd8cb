using EdgePose.Core.Datasets;
using System.Collections.Immutable;
using EdgePose.Lab.Datasets;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Lab.Evaluation;

/// <summary>
/// Runs estimators over every image of a BOP split and scores each labelled object whose obj_id a workcell object
/// claims (<see cref="TargetObject.DatasetId"/>). Images are read once and handed to every estimator in turn, one at a
/// time, so latencies are not inflated by the evaluation competing with itself.
/// </summary>
public sealed class DatasetEvaluation
{
    /// <summary>models_info sizes more than this far from the workcell object's mean a different object (or unit) than configured.</summary>
    private const double SizeToleranceMillimetres = 1;

    private readonly BopDataset _dataset;
    private readonly string _modelsInfoPath;
    private readonly Dictionary<int, (TargetObject Target, ImmutableArray<Vec3> Points, double Diameter)> _objects = [];

    public DatasetEvaluation(BopDataset dataset, string root, Workcell workcell)
    {
        _dataset = dataset;
        _modelsInfoPath = Path.Combine(root, BopFormat.ModelsFolder, BopFormat.ModelsInfoFile);
        foreach (var target in workcell.Objects)
        {
            var diameter = target.Diameter;
            if (dataset.Models.TryGetValue(target.DatasetId, out var model))
            {
                var size = target.Size * BopFormat.MillimetresPerMetre;
                if (Math.Abs(model.SizeX - size.X) > SizeToleranceMillimetres || Math.Abs(model.SizeY - size.Y) > SizeToleranceMillimetres
                    || Math.Abs(model.SizeZ - size.Z) > SizeToleranceMillimetres)
                {
                    throw new BopDatasetException(FormattableString.Invariant(
                        $"{_modelsInfoPath}: obj_id {target.DatasetId}: size_x/y/z {model.SizeX:0.#} x {model.SizeY:0.#} x {model.SizeZ:0.#} mm, but workcell object '{target.Id}' is {size.X:0.#} x {size.Y:0.#} x {size.Z:0.#} mm."));
                }

                diameter = model.Diameter / BopFormat.MillimetresPerMetre;
            }

            _objects[target.DatasetId] = (target, PoseErrorMetrics.BoxSurfacePoints(target.Size), diameter);
        }

        Samples = dataset.Frames.Sum(f => f.GroundTruth.Count(g => _objects.ContainsKey(g.ObjectId)));
        SkippedObjects = dataset.Frames.Sum(f => f.GroundTruth.Count) - Samples;
        if (Samples == 0)
        {
            var ids = dataset.Frames.SelectMany(f => f.GroundTruth).Select(g => g.ObjectId).Distinct().Order();
            throw new BopDatasetException(
                $"{Path.GetDirectoryName(dataset.Frames.Count > 0 ? dataset.Frames[0].RgbPath : root)}: no labelled object to score: obj_id(s) {string.Join(", ", ids)} in scene_gt.json, workcell DatasetId(s) {string.Join(", ", workcell.Objects.Select(o => o.DatasetId))}.");
        }
    }

    public int Samples { get; }

    public int SkippedObjects { get; }

    /// <summary>Each estimator's outcomes, in estimator order; <paramref name="frameDone"/> is called after each image.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<SampleOutcome>>> RunAsync(
        IReadOnlyList<IEvaluatedEstimator> estimators, Action frameDone, CancellationToken cancellationToken)
    {
        var outcomes = estimators.Select(_ => new List<SampleOutcome>(Samples)).ToArray();

        // One unscored pass over the first image, as the daemon warms up before serving: JIT compilation, first
        // allocations and a new gRPC connection would otherwise land in the first frame's latency.
        using (var first = Load(_dataset.Frames[0]))
        {
            foreach (var estimator in estimators)
            {
                await estimator.EstimateAsync(new EvaluationFrame(_dataset.Frames[0], first, Intrinsics(_dataset.Frames[0], first)), cancellationToken);
            }
        }

        foreach (var frame in _dataset.Frames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var image = Load(frame);
            var camera = Intrinsics(frame, image);
            for (var e = 0; e < estimators.Count; e++)
            {
                var answer = await estimators[e].EstimateAsync(new EvaluationFrame(frame, image, camera), cancellationToken);
                outcomes[e].AddRange(Score(frame, answer));
            }

            frameDone();
        }

        return outcomes;
    }

    private static Mat Load(BopFrame frame)
    {
        var image = Cv2.ImRead(frame.RgbPath, ImreadModes.Color);
        if (image.Empty())
        {
            image.Dispose();
            throw new BopDatasetException($"{frame.RgbPath}: missing or not an image (image {frame.ImageId} of {BopFormat.SceneGroundTruthFile}).");
        }

        return image;
    }

    /// <summary>scene_camera's cam_K; BOP has no distortion model, so images are taken as undistorted.</summary>
    public static CameraIntrinsics Intrinsics(BopFrame frame, Mat image)
    {
        var k = frame.Camera.CamK;
        return new CameraIntrinsics(k[0], k[4], k[2], k[5], [], image.Width, image.Height);
    }

    public static RigidTransform Truth(BopGroundTruth gt) => new(
        Rotation3.FromRowMajor([.. gt.CamRM2C]),
        Vec3.FromArray(gt.CamTM2C) / BopFormat.MillimetresPerMetre);

    private IEnumerable<SampleOutcome> Score(BopFrame frame, FrameAnswer answer)
    {
        for (var i = 0; i < frame.GroundTruth.Count; i++)
        {
            var gt = frame.GroundTruth[i];
            if (!_objects.TryGetValue(gt.ObjectId, out var o))
            {
                continue;
            }

            // A workcell object labelled twice in one image gets the same single answer scored against each label.
            var pose = answer.Objects.FirstOrDefault(a => a.ObjectId == o.Target.Id);
            var truth = Truth(gt);
            yield return SampleOutcome.Create(
                frame.ImageId,
                gt.ObjectId,
                truth,
                pose?.CameraFromObject,
                pose?.Confidence ?? 0,
                pose?.Source ?? "none",
                pose?.FallbackReason ?? "not_reported",
                o.Points,
                o.Diameter,
                answer.Latency,
                Conditions(frame, i, truth));
        }
    }

    /// <summary>Our scene_edgepose.json labels where present; otherwise what plain BOP files say (visib_fract, cam_t_m2c).</summary>
    private static SampleConditions Conditions(BopFrame frame, int index, RigidTransform truth)
    {
        if (frame.Facts.Count > index)
        {
            var f = frame.Facts[index];
            return new SampleConditions(f.MarkerVisible, f.OcclusionFraction, f.DistanceMeters, f.BlurSigmaPx, f.Brightness);
        }

        return new SampleConditions(null, 1 - frame.Info[index].VisibleFraction, truth.Translation.Length, null, null);
    }
}
