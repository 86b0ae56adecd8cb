using System.Collections;

namespace EdgePose.Daemon.Hosting;

/// <summary>
/// The configuration layers, lowest precedence first: appsettings.json next to the binary, /etc/edgepose/edgepose.json
/// (or --config), EDGEPOSE__… environment variables, then command-line flags.
/// </summary>
internal static class DaemonConfiguration
{
    public const string DefaultSystemFile = "/etc/edgepose/edgepose.json";
    public const string EnvironmentPrefix = "EDGEPOSE__";

    public static void Apply(IConfigurationBuilder configuration, string? configFile, IReadOnlyDictionary<string, string?> flags)
    {
        configuration.Sources.Clear();
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new FatalConfigurationException($"--config: configuration file '{configFile}' does not exist.");
            }

            configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }
        else
        {
            configuration.AddJsonFile(DefaultSystemFile, optional: true, reloadOnChange: false);
        }

        configuration.AddInMemoryCollection(FromEnvironment(Environment.GetEnvironmentVariables()));
        configuration.AddInMemoryCollection(flags);
    }

    /// <summary>EDGEPOSE__Capture__Source=Video → EdgePose:Capture:Source. Other variables are not configuration.</summary>
    public static Dictionary<string, string?> FromEnvironment(IDictionary variables)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in variables)
        {
            if (entry.Key is string key && key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                result["EdgePose:" + key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = entry.Value as string;
            }
        }

        return result;
    }
}

/// <summary>A configuration error found before or while starting: the daemon prints it and exits non-zero.</summary>
internal sealed class FatalConfigurationException(string message) : Exception(message);
