using EdgePose.Runtime.Objects;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class WorkcellServiceCollectionExtensions
{
    /// <summary>Binds and validates "EdgePose:Workcell" and registers the immutable <see cref="Workcell"/> built from it.</summary>
    public static IServiceCollection AddWorkcell(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkcellOptions>()
            .Bind(configuration.GetSection(WorkcellOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.Objects.All(IsValid), "EdgePose:Workcell:Objects has an invalid entry (see the object's fields).")
            .ValidateOnStart();
        services.AddSingleton(sp => Workcell.FromOptions(sp.GetRequiredService<IOptions<WorkcellOptions>>().Value));
        services.AddSingleton(sp => sp.GetRequiredService<Workcell>().Camera);
        return services;
    }

    private static bool IsValid(TargetObjectOptions options) =>
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), null, validateAllProperties: true)
        && System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options.Marker, new(options.Marker), null, validateAllProperties: true);
}
