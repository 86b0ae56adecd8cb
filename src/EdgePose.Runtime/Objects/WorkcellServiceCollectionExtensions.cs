using EdgePose.Runtime.Configuration;
using EdgePose.Runtime.Objects;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class WorkcellServiceCollectionExtensions
{
    /// <summary>Binds and validates "EdgePose:Workcell" and registers the immutable <see cref="Workcell"/> built from it.</summary>
    public static IServiceCollection AddWorkcell(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<WorkcellOptions>(configuration, WorkcellOptions.SectionName, ValidateReferences);
        services.AddSingleton(sp => Workcell.FromOptions(sp.GetRequiredService<IOptions<WorkcellOptions>>().Value));
        services.AddSingleton(sp => sp.GetRequiredService<Workcell>().Camera);
        return services;
    }

    /// <summary>What DataAnnotations cannot see: names that must resolve, files that must exist, coefficient counts OpenCV accepts.</summary>
    private static IEnumerable<string> ValidateReferences(WorkcellOptions options)
    {
        for (var i = 0; i < options.Objects.Count; i++)
        {
            var dictionary = options.Objects[i].Marker.Dictionary;
            if (!Enum.TryParse<OpenCvSharp.Aruco.PredefinedDictionaryType>(dictionary, ignoreCase: true, out _))
            {
                yield return SettingFailure.Format(
                    $"{WorkcellOptions.SectionName}:Objects:{i}:Marker:Dictionary", dictionary, "must be an OpenCV predefined ArUco dictionary such as Dict4X4_50.");
            }
        }

        var duplicate = options.Objects.GroupBy(o => o.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            yield return SettingFailure.Format($"{WorkcellOptions.SectionName}:Objects", duplicate.Key, "object ids must be unique.");
        }

        if (options.Camera.Distortion is { } distortion && !CameraIntrinsics.IsSupportedDistortion(distortion))
        {
            yield return SettingFailure.Format(
                $"{WorkcellOptions.SectionName}:Camera:Distortion",
                distortion,
                $"must be {CameraIntrinsics.SupportedDistortionCounts} finite coefficients (got {distortion.Length}).");
        }

        var calibration = options.Camera.CalibrationFile;
        if (!string.IsNullOrWhiteSpace(calibration) && !File.Exists(calibration))
        {
            yield return SettingFailure.Format($"{WorkcellOptions.SectionName}:Camera:CalibrationFile", calibration, "file does not exist.");
        }
    }
}
