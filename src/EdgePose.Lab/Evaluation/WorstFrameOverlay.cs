using System.Globalization;
using EdgePose.Core.Objects;
using EdgePose.Lab.Datasets;
using EdgePose.Runtime.Pipeline;
using OpenCvSharp;

namespace EdgePose.Lab.Evaluation;

/// <summary>A worst frame drawn for a person: the true box in green, the estimate in yellow (model) or red (baseline), and the numbers.</summary>
public static class WorstFrameOverlay
{
    public static void Write(string path, BopFrame frame, TargetObject target, string estimator, SampleOutcome sample)
    {
        using var image = Cv2.ImRead(frame.RgbPath, ImreadModes.Color);
        var camera = DatasetEvaluation.Intrinsics(frame, image);
        PoseOverlay.DrawBox(image, camera, target, sample.Truth, Scalar.Lime);
        var color = sample.Source == "model" ? Scalar.Yellow : Scalar.Red;
        if (sample.Estimate is { } estimate)
        {
            PoseOverlay.DrawBox(image, camera, target, estimate, color);
        }

        PoseOverlay.DrawLabel(image, $"{estimator} image {sample.ImageId}: truth green", 0, Scalar.Lime);
        PoseOverlay.DrawLabel(
            image,
            sample.Found
                ? string.Create(CultureInfo.InvariantCulture, $"{sample.Source}: {sample.PositionErrorMeters * 1000:0.0} mm, {sample.AngleErrorDegrees:0.0} deg")
                : $"not found ({sample.FallbackReason})",
            1,
            color);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!Cv2.ImWrite(path, image))
        {
            throw new IOException($"Could not write {path}.");
        }
    }
}
