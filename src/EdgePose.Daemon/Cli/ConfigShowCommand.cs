using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using EdgePose.Daemon.Hosting;

namespace EdgePose.Daemon.Cli;

internal static partial class ConfigShowCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static int Run(HostOptionsBinding binding, ParseResult result, TextWriter output)
    {
        using var app = DaemonHost.Build(binding.ConfigFileValue(result), binding.Flags(result));
        var sections = new JsonObject();
        foreach (var (path, value) in EffectiveOptions.Resolve(app.Services))
        {
            var names = path.Split(':');
            var parent = names[..^1].Aggregate(sections, (node, name) => (JsonObject)node[name]!);
            parent[names[^1]] = Redact(JsonSerializer.SerializeToNode(value, value.GetType(), Json));
        }

        output.WriteLine(new JsonObject { ["EdgePose"] = sections }.ToJsonString(Json));
        return 0;
    }

    private static JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    obj[key] = SecretName().IsMatch(key) && child is JsonValue ? "***" : Redact(child?.DeepClone());
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Redact(array[i]?.DeepClone());
                }

                return array;
            default:
                return node;
        }
    }

    [GeneratedRegex("password|secret|token|apikey|passphrase", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
