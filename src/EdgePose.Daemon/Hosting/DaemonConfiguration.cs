using System.Collections;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgePose.Daemon.Hosting;

/// <summary>
/// The configuration layers, lowest precedence first: appsettings.json next to the binary, /etc/edgepose/edgepose.json
/// (or --config), EDGEPOSE__… environment variables, then command-line flags.
/// </summary>
internal static class DaemonConfiguration
{
    public const string DefaultSystemFile = "/etc/edgepose/edgepose.json";
    public const string EnvironmentPrefix = "EDGEPOSE__";

    /// <param name="development">
    /// The daemon runs in development (DOTNET_ENVIRONMENT=Development, as deploy/dev.sh run sets it): the synthetic camera
    /// of the embedded default is allowed, below every other layer, so a site configuration can still turn it off.
    /// </param>
    public static void Apply(IConfigurationBuilder configuration, string? configFile, IReadOnlyDictionary<string, string?> flags, bool development = false)
    {
        configuration.Sources.Clear();
        if (development)
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["EdgePose:Capture:AllowSynthetic"] = "true" });
        }

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
            RequireSiteConfiguration(development);
            configuration.AddJsonFile(DefaultSystemFile, optional: true, reloadOnChange: false);
        }

        configuration.AddInMemoryCollection(FromEnvironment(Environment.GetEnvironmentVariables()));
        configuration.AddInMemoryCollection(flags);
    }

    /// <summary>
    /// An unreadable site configuration always stops the start (the daemon would run on defaults the site never chose); a
    /// missing one stops it under systemd outside development, where the unit exists to run the configured camera.
    /// </summary>
    private static void RequireSiteConfiguration(bool development)
    {
        if (!File.Exists(DefaultSystemFile))
        {
            if (!development && SystemdHelpers.IsSystemdService())
            {
                throw new FatalConfigurationException(
                    $"{DefaultSystemFile} does not exist: under systemd the daemon runs only on its site configuration (deploy/install.sh installs one; DOTNET_ENVIRONMENT=Development runs the embedded default).");
            }

            return;
        }

        try
        {
            File.OpenRead(DefaultSystemFile).Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FatalConfigurationException($"{DefaultSystemFile} cannot be read: {ex.Message} (it should be root:edgepose, mode 640).");
        }
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
