using System.ComponentModel.DataAnnotations;
using System.Net;

namespace EdgePose.Daemon.Hosting;

/// <summary>"host:port" as configured for a listener.</summary>
internal readonly record struct ListenAddress(IPAddress Host, int Port)
{
    public const string Rule = "must be host:port with an IP address (or localhost, or *) and a port 0-65535.";

    /// <summary>For settings that <see cref="ListenAddressAttribute"/> has validated.</summary>
    public static ListenAddress Parse(string text) => TryParse(text, out var address) ? address : throw new FormatException($"'{text}': {Rule}");

    public static bool TryParse(string? text, out ListenAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (host is "localhost")
        {
            address = new ListenAddress(IPAddress.Loopback, port);
            return true;
        }

        if (host is "*" or "0.0.0.0")
        {
            address = new ListenAddress(IPAddress.Any, port);
            return true;
        }

        if (!IPAddress.TryParse(host, out var ip))
        {
            return false;
        }

        address = new ListenAddress(ip, port);
        return true;
    }

    public override string ToString() => Host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>A listener setting: host:port as <see cref="ListenAddress"/> reads it; empty only where it disables the listener.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ListenAddressAttribute : ValidationAttribute
{
    public ListenAddressAttribute()
        : base(ListenAddress.Rule)
    {
    }

    /// <summary>Null or empty is valid (the listener is off).</summary>
    public bool EmptyDisables { get; init; }

    public override bool IsValid(object? value) =>
        value is not string text || string.IsNullOrWhiteSpace(text) ? EmptyDisables : ListenAddress.TryParse(text, out _);
}
