using System.Text.Json;
using EdgePose.Core.Geometry;

namespace EdgePose.Lab.Calibration;

/// <summary>One robot stop: the board image taken there and the gripper's pose in the base frame, T_base_gripper.</summary>
internal sealed record RobotPose(string Image, RigidTransform GripperToBase);

/// <summary>
/// The robot poses of a hand–eye calibration, as the controller reports them: a JSON array, one entry per image,
/// <c>[{"image": "pose_00.png", "translationMeters": [x, y, z], "rotationVectorRadians": [rx, ry, rz]}, …]</c>.
/// The transform is the gripper (flange or TCP, whichever holds the board rigidly) in the robot base frame; the rotation is
/// an axis-angle vector (axis × angle), the form UR controllers and OpenCV use. Image names are relative to the file's folder.
/// </summary>
internal static class RobotPoseFile
{
    /// <exception cref="InvalidDataException">The file is missing, not that JSON, or an entry is incomplete.</exception>
    public static IReadOnlyList<RobotPose> Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"robot pose file '{path}' does not exist.");
        }

        Entry?[]? entries;
        try
        {
            entries = JsonSerializer.Deserialize<Entry?[]>(File.ReadAllText(path), JsonSerializerOptions.Web);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"robot pose file '{path}' is not a JSON array of poses: {ex.Message}");
        }

        if (entries is null || entries.Length == 0)
        {
            throw new InvalidDataException($"robot pose file '{path}' has no poses.");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return [.. entries.Select((entry, index) => Parse(entry, index, folder, path))];
    }

    private static RobotPose Parse(Entry? entry, int index, string folder, string path)
    {
        string Where() => $"robot pose file '{path}', pose {index}";
        if (entry is null || string.IsNullOrWhiteSpace(entry.Image))
        {
            throw new InvalidDataException($"{Where()}: \"image\" is required.");
        }

        Vec3 Vector(double[]? values, string name) => values is { Length: 3 } v && v.All(double.IsFinite)
            ? new Vec3(v[0], v[1], v[2])
            : throw new InvalidDataException($"{Where()}: \"{name}\" must be 3 finite numbers.");

        return new RobotPose(
            Path.Combine(folder, entry.Image),
            RigidTransform.FromRodrigues(Vector(entry.RotationVectorRadians, "rotationVectorRadians"), Vector(entry.TranslationMeters, "translationMeters")));
    }

    private sealed record Entry(string? Image, double[]? TranslationMeters, double[]? RotationVectorRadians);
}
