using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using EdgePose.Core.Configuration;

namespace EdgePose.Lab.Cli;

/// <summary>Flag values parsed by the commands rather than by System.CommandLine, so a bad one is reported in one line naming the option.</summary>
internal static class OptionValues
{
    public static bool TryParse(ParseResult result, Option<string?> option, Type type, RangeAttribute? range, out object? value, out string error)
    {
        value = null;
        error = "";
        if (result.GetValue(option) is not { } text)
        {
            return true;
        }

        if (type == typeof(int) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer))
        {
            value = integer;
        }
        else if (type == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            value = number;
        }
        else
        {
            error = SettingFailure.Format(option.Name, text, type == typeof(int) ? "must be a whole number." : "must be a number.");
            return false;
        }

        if (range is not null && !range.IsValid(value))
        {
            error = SettingFailure.Format(option.Name, text, $"must be between {range.Minimum} and {range.Maximum}.");
            return false;
        }

        return true;
    }

    /// <summary>A split names one folder under the dataset root; anything with a separator or "." / ".." would escape it.</summary>
    public static bool TryReadSplit(ParseResult result, Option<string?> option, string fallback, out string split, out string error)
    {
        split = result.GetValue(option) ?? fallback;
        var valid = split.Length > 0 && split is not ("." or "..") && split.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) < 0;
        error = valid ? "" : SettingFailure.Format(option.Name, split, "must be a plain folder name such as train or test.");
        return valid;
    }
}
