using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EdgePose.Core.Configuration;

/// <summary>
/// DataAnnotations validation that reports each failure as one line naming the full setting path, its value and the rule,
/// e.g. "EdgePose:Pipeline:LatencyBudget = '00:00:20': must be between 00:00:00.001 and 00:00:10." — what a field engineer
/// reading journald needs. Walks nested option objects and lists. With the configuration it also reports the list
/// items of choice settings that the binder could not convert: it drops those silently instead of failing.
/// </summary>
public sealed class SectionValidator<TOptions>(
    string sectionPath, Func<TOptions, IEnumerable<string>>? extraRules = null, IConfiguration? configuration = null) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = new List<string>();
        Collect(options, sectionPath, configuration, failures);
        if (extraRules is not null)
        {
            failures.AddRange(extraRules(options));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Collect(object instance, string path, IConfiguration? configuration, List<string> failures)
    {
        foreach (var property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // Only bound settings: computed properties (derived from settings) are not configuration.
            if (property.GetIndexParameters().Length > 0 || !property.CanRead || !property.CanWrite)
            {
                continue;
            }

            var value = property.GetValue(instance);
            var propertyPath = $"{path}:{property.Name}";
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                var context = new ValidationContext(instance) { MemberName = property.Name, DisplayName = property.Name };
                var result = attribute.GetValidationResult(value, context);
                if (result != ValidationResult.Success)
                {
                    failures.Add(SettingFailure.Format(propertyPath, value, Describe(attribute, result?.ErrorMessage)));
                }
            }

            if (configuration is not null && ChoiceListElement(property.PropertyType) is { } choice)
            {
                failures.AddRange(DroppedChoices(configuration.GetSection(propertyPath), choice));
            }

            switch (value)
            {
                case null or string or TimeSpan or Enum:
                    break;
                case IEnumerable items:
                    var index = 0;
                    foreach (var item in items)
                    {
                        if (item is not null && IsOptionsObject(item.GetType()))
                        {
                            Collect(item, $"{propertyPath}:{index}", configuration, failures);
                        }

                        index++;
                    }

                    break;
                default:
                    if (IsOptionsObject(value.GetType()))
                    {
                        Collect(value, propertyPath, configuration, failures);
                    }

                    break;
            }
        }
    }

    private static Type? ChoiceListElement(Type type)
    {
        var element = type.IsArray ? type.GetElementType() : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : null;
        return element is { IsEnum: true } ? element : null;
    }

    private static IEnumerable<string> DroppedChoices(IConfigurationSection list, Type choice)
    {
        var converter = TypeDescriptor.GetConverter(choice);
        foreach (var item in list.GetChildren())
        {
            string? failure = null;
            try
            {
                converter.ConvertFromInvariantString(item.Value ?? "");
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                failure = ex is InvalidChoiceException ? ex.Message : $"must be one of {string.Join(", ", Enum.GetNames(choice))}.";
            }

            if (failure is not null)
            {
                yield return SettingFailure.Format(item.Path, item.Value, failure);
            }
        }
    }

    private static bool IsOptionsObject(Type type) => type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("EdgePose", StringComparison.Ordinal) == true;

    private static string Describe(ValidationAttribute attribute, string? fallback) => attribute switch
    {
        RangeAttribute range => $"must be between {range.Minimum} and {range.Maximum}.",
        RequiredAttribute => "is required.",
        RegularExpressionAttribute regex => regex.ErrorMessage ?? $"must match {regex.Pattern}.",
        _ => fallback ?? "is invalid.",
    };
}

/// <summary>One line per configuration problem: "Section:Setting = 'value': what is allowed".</summary>
public static class SettingFailure
{
    public static string Format(string path, object? value, string message) => $"{path} = '{FormatValue(value)}': {message}";

    private static string FormatValue(object? value) => value switch
    {
        null => "",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        string s => s,
        IEnumerable items => string.Join(",", items.Cast<object?>()),
        _ => value.ToString() ?? "",
    };
}
