using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;

namespace EdgePose.Core.Configuration;

/// <summary>
/// The configuration names of a choice setting (an enum): the member's <see cref="JsonStringEnumMemberNameAttribute"/>
/// (so <c>config show</c> prints the same name) or else the member's own name; matched case-insensitively, never as a number.
/// </summary>
public static class Choice
{
    /// <summary>The names, in declaration order.</summary>
    public static IReadOnlyList<string> Names<TEnum>()
        where TEnum : struct, Enum => Members<TEnum>.Names;

    public static string NameOf<TEnum>(TEnum value)
        where TEnum : struct, Enum => Members<TEnum>.All.First(m => m.Value.Equals(value)).Name;

    public static bool TryParse<TEnum>(string text, out TEnum value)
        where TEnum : struct, Enum
    {
        foreach (var (member, name) in Members<TEnum>.All)
        {
            if (name.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = member;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static class Members<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly (TEnum Value, string Name)[] All = [.. Enum.GetValues<TEnum>().Select(v => (v, ConfigurationName(v)))];

        public static readonly string[] Names = [.. All.Select(m => m.Name)];

        private static string ConfigurationName(TEnum value) =>
            typeof(TEnum).GetField(value.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString();
    }
}

/// <summary>
/// Binds a choice setting by its <see cref="Choice"/> names: put <c>[TypeConverter(typeof(ChoiceConverter&lt;T&gt;))]</c>
/// on the enum. An unknown name fails with the allowed ones; the configuration binder adds the setting and the value.
/// </summary>
public sealed class ChoiceConverter<TEnum> : TypeConverter
    where TEnum : struct, Enum
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) => destinationType == typeof(string);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        Choice.TryParse<TEnum>((string)value, out var choice)
            ? choice
            : throw new InvalidChoiceException($"must be one of {string.Join(", ", Choice.Names<TEnum>())}.");

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        value is TEnum choice && destinationType == typeof(string) ? Choice.NameOf(choice) : base.ConvertTo(context, culture, value, destinationType);
}

/// <summary>A choice setting's value is none of its names; the message says which names are allowed.</summary>
public sealed class InvalidChoiceException : FormatException
{
    public InvalidChoiceException()
    {
    }

    public InvalidChoiceException(string message)
        : base(message)
    {
    }

    public InvalidChoiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
