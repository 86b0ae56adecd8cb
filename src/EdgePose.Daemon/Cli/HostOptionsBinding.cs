using System.CommandLine;
using EdgePose.Daemon.Hosting;

namespace EdgePose.Daemon.Cli;

/// <summary>The flags shared by every command that builds the daemon's configuration; each maps onto one setting.</summary>
internal sealed class HostOptionsBinding
{
    public Option<string?> ConfigFile { get; } = new("--config") { Description = $"JSON configuration file (default: {DaemonConfiguration.DefaultSystemFile} if present)." };

    public Option<string?> GrpcAddress { get; } = new("--grpc-address") { Description = "gRPC listen address host:port (EdgePose:Grpc:Address)." };

    public Option<string?> MetricsAddress { get; } = new("--metrics-address") { Description = "Prometheus listen address host:port (EdgePose:Metrics:Address)." };

    public Option<string?> Source { get; } = new("--source") { Description = "Capture source: Synthetic, Video, Images, Camera or Gstreamer (EdgePose:Capture:Source)." };

    public Option<string?> Model { get; } = new("--model") { Description = "ONNX model file (EdgePose:Inference:ModelPath)." };

    public Option<string?> Policy { get; } = new("--policy") { Description = "model-with-fallback, model-only, baseline-only or prefer-baseline-when-marker-visible (EdgePose:Pipeline:FallbackPolicy)." };

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Any setting as Key=Value, e.g. --set EdgePose:Capture:CameraDevice=/dev/video2 (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { ConfigFile, GrpcAddress, MetricsAddress, Source, Model, Policy, Set })
        {
            command.Options.Add(option);
        }
    }

    public string? ConfigFileValue(ParseResult result) => result.GetValue(ConfigFile);

    public Dictionary<string, string?> Flags(ParseResult result)
    {
        var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Map(Option<string?> option, string key)
        {
            if (result.GetValue(option) is { } value)
            {
                flags[key] = value;
            }
        }

        Map(GrpcAddress, "EdgePose:Grpc:Address");
        Map(MetricsAddress, "EdgePose:Metrics:Address");
        Map(Source, "EdgePose:Capture:Source");
        Map(Model, "EdgePose:Inference:ModelPath");
        Map(Policy, "EdgePose:Pipeline:FallbackPolicy");
        foreach (var assignment in result.GetValue(Set) ?? [])
        {
            if (!TryAssignment(assignment, out var key, out var value))
            {
                throw new FatalConfigurationException($"--set '{assignment}': expected Key=Value, e.g. EdgePose:Capture:Source=Video.");
            }

            flags[key] = value;
        }

        return flags;
    }

    /// <summary>Splits one <c>Key=Value</c> of a repeatable setting option such as <c>--set</c>; false when there is no key.</summary>
    public static bool TryAssignment(string assignment, out string key, out string value)
    {
        var equals = assignment.IndexOf('=');
        (key, value) = equals > 0 ? (assignment[..equals].Trim(), assignment[(equals + 1)..]) : ("", "");
        return equals > 0;
    }
}
