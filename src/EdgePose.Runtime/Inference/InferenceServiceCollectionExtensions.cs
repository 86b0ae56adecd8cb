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
        services.BindAndValidateSection<InferenceOptions>(configuration, InferenceOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OrtSessionFactory>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<ModelHost>();
        services.AddSingleton<IModelHost>(sp => sp.GetRequiredService<ModelHost>());
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        return services;
    }
}
