using EdgePose.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class OptionsBuilderExtensions
{
    /// <summary>
    /// Binds <paramref name="sectionPath"/> and validates it at start with messages that name the setting, its value and the rule
    /// (our stand-in for ValidateDataAnnotations, whose messages name neither the section nor the value).
    /// </summary>
    public static OptionsBuilder<TOptions> BindAndValidateSection<TOptions>(
        this IServiceCollection services,
        IConfiguration configuration,
        string sectionPath,
        Func<TOptions, IEnumerable<string>>? extraRules = null)
        where TOptions : class
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(new SectionValidator<TOptions>(sectionPath, extraRules, configuration)));
        return services.AddOptions<TOptions>().Bind(configuration.GetSection(sectionPath)).ValidateOnStart();
    }
}
