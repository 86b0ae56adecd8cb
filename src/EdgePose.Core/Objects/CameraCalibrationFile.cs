using OpenCvSharp;

namespace EdgePose.Core.Objects;

/// <summary>Reads the calibration files OpenCV's calibration tools write (cv::FileStorage, YAML or XML).</summary>
public static class CameraCalibrationFile
{
    /// <summary>The node OpenCV's calibration sample writes the RMS reprojection error to, in pixels.</summary>
    public const string ReprojectionErrorNode = "avg_reprojection_error";

    public static CameraIntrinsics Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Camera calibration file '{path}' does not exist.");
        }

        using var storage = new FileStorage(path, FileStorage.Modes.Read);
        if (!storage.IsOpened())
        {
            throw new InvalidDataException($"Camera calibration file '{path}' is not a cv::FileStorage YAML/XML file.");
        }

        using var cameraMatrix = ReadMat(storage, path, "camera_matrix");
        if (cameraMatrix.Rows != 3 || cameraMatrix.Cols != 3)
        {
            throw new InvalidDataException($"Camera calibration file '{path}': camera_matrix must be 3x3, found {cameraMatrix.Rows}x{cameraMatrix.Cols}.");
        }

        using var k = new Mat();
        cameraMatrix.ConvertTo(k, MatType.CV_64FC1);
        double[] distortion = [];
        using (var distortionNode = storage["distortion_coefficients"])
        {
            if (distortionNode is not null && !distortionNode.IsNone)
            {
                using var d = distortionNode.ReadMat();
                using var d64 = new Mat();
                d.ConvertTo(d64, MatType.CV_64FC1);
                d64.GetArray(out distortion);
            }
        }

        if (!CameraIntrinsics.IsSupportedDistortion(distortion))
        {
            throw new InvalidDataException(
                $"Camera calibration file '{path}': distortion_coefficients must be {CameraIntrinsics.SupportedDistortionCounts} finite values, found {distortion.Length}.");
        }

        var width = ReadInt(storage, "image_width");
        var height = ReadInt(storage, "image_height");
        if (width <= 0 || height <= 0)
        {
            throw new InvalidDataException($"Camera calibration file '{path}': image_width and image_height are required (the size the intrinsics belong to).");
        }

        return new CameraIntrinsics(k.At<double>(0, 0), k.At<double>(1, 1), k.At<double>(0, 2), k.At<double>(1, 2), [.. distortion], width, height);
    }

    /// <param name="reprojectionErrorPx">The calibration's RMS reprojection error, written for the engineer (the daemon does not need it).</param>
    public static void Save(string path, CameraIntrinsics camera, double? reprojectionErrorPx = null)
    {
        using var storage = new FileStorage(path, FileStorage.Modes.Write);
        storage.Write("image_width", camera.Width);
        storage.Write("image_height", camera.Height);
        using var k = Mat.FromArray(camera.CameraMatrix());
        storage.Write("camera_matrix", k);
        using var d = Mat.FromArray(camera.DistortionArray().Length == 0 ? new double[5] : camera.DistortionArray());
        storage.Write("distortion_coefficients", d);
        if (reprojectionErrorPx is { } rms)
        {
            storage.Write(ReprojectionErrorNode, rms);
        }
    }

    /// <summary>The RMS reprojection error the calibration recorded, in pixels; null when the file has none or cannot be read (<see cref="Load"/> says why).</summary>
    public static double? ReadReprojectionError(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var storage = new FileStorage(path, FileStorage.Modes.Read);
            using var node = storage.IsOpened() ? storage[ReprojectionErrorNode] : null;
            return node is null || node.IsNone ? null : node.ReadDouble();
        }
        catch (OpenCVException)
        {
            return null;
        }
    }

    private static Mat ReadMat(FileStorage storage, string path, string key)
    {
        using var node = storage[key];
        if (node is null || node.IsNone)
        {
            throw new InvalidDataException($"Camera calibration file '{path}' has no '{key}'.");
        }

        return node.ReadMat();
    }

    private static int ReadInt(FileStorage storage, string key)
    {
        using var node = storage[key];
        return node is null || node.IsNone ? 0 : node.ReadInt();
    }
}
