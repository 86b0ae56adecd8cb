using EdgePose.Runtime.FailureCapture;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

public static class FailureCaptureServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates "EdgePose:FailureCapture" and registers the live loop's hand-off and the background writer; both
    /// do nothing unless EdgePose:FailureCapture:Directory is set. Needs AddPoseMetrics and AddWorkcell.
    /// </summary>
    public static IServiceCollection AddFailureCapture(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<FailureCaptureOptions>(configuration, FailureCaptureOptions.SectionName, FailureCaptureOptions.Rules);
        services.AddSingleton<FailureCaptureMetrics>();
        services.AddSingleton<FailureCaptureQueue>();
        services.AddHostedService<FailureCaptureWriter>();
        return services;
    }
}
