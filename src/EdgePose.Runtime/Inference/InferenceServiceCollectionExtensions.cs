using EdgePose.Core.Configuration;
using EdgePose.Runtime.Inference;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class InferenceServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates "EdgePose:Inference" and registers <see cref="IModelHost"/>, which loads the model in the
    /// background once the host starts. Expects AddPoseMetrics (and AddWorkcell for the pipeline) to be called too.
    /// </summary>
    public static IServiceCollection AddInference(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<InferenceOptions>(configuration, InferenceOptions.SectionName, static o =>
            o.HasValidExecutionProviders
                ? []
                : [SettingFailure.Format(
                    $"{InferenceOptions.SectionName}:{nameof(InferenceOptions.ExecutionProviders)}",
                    o.ExecutionProviders,
                    $"allows only {string.Join(", ", InferenceOptions.AllowedExecutionProviders)} (case-insensitive).")]);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OrtSessionFactory>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<ModelHost>();
        services.AddSingleton<IModelHost>(sp => sp.GetRequiredService<ModelHost>());
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        return services;
    }
}
