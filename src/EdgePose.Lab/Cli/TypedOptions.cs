using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Numerics;
using EdgePose.Core.Configuration;

namespace EdgePose.Lab.Cli;

/// <summary>
/// Typed options whose parse errors read like every other usage error: one line naming the option, the value and what is
/// allowed ("--count = '0': must be between 1 and 1000000."). Commands read typed values; nothing parses text again.
/// </summary>
internal static class TypedOptions
{
    /// <summary>A number, null when absent (so a command can tell "not given" from a value); <paramref name="range"/> is checked while parsing.</summary>
    public static Option<T?> Number<T>(string name, string description, RangeAttribute? range = null)
        where T : struct, INumber<T>
    {
        var whole = typeof(T) == typeof(int) || typeof(T) == typeof(long);
        return new Option<T?>(name)
        {
            Description = description,
            CustomParser = argument =>
            {
                var text = argument.Tokens[^1].Value;
                if (!T.TryParse(text, whole ? NumberStyles.Integer : NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !T.IsFinite(value))
                {
                    argument.AddError(SettingFailure.Format(name, text, whole ? "must be a whole number." : "must be a number."));
                    return null;
                }

                if (range is not null && !range.IsValid(value))
                {
                    argument.AddError(SettingFailure.Format(name, text, $"must be between {range.Minimum} and {range.Maximum}."));
                    return null;
                }

                return value;
            },
        };
    }

    /// <summary>One of an enum's names, case-insensitive (numbers are not names); null when absent.</summary>
    public static Option<TEnum?> Choice<TEnum>(string name, string description)
        where TEnum : struct, Enum
    {
        return new Option<TEnum?>(name)
        {
            Description = description,
            CustomParser = argument =>
            {
                var text = argument.Tokens[^1].Value;
                if (Enum.GetNames<TEnum>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } known)
                {
                    return Enum.Parse<TEnum>(known);
                }

                argument.AddError(SettingFailure.Format(
                    name, text, $"must be one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}."));
                return null;
            },
        };
    }

    /// <summary>A split names one folder under the dataset root; anything with a separator or "." / ".." would escape it.</summary>
    public static bool IsPlainFolderName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) < 0;

    /// <summary>The --split option: one plain folder name (<see cref="IsPlainFolderName"/>).</summary>
    public static Option<string> Split(string fallback, string description)
    {
        var option = new Option<string>("--split") { Description = $"{description} (default {fallback}).", DefaultValueFactory = _ => fallback };
        option.Validators.Add(result =>
        {
            var split = result.GetValueOrDefault<string>();
            if (!IsPlainFolderName(split))
            {
                result.AddError(SettingFailure.Format(option.Name, split, "must be a plain folder name such as train or test."));
            }
        });
        return option;
    }
}
