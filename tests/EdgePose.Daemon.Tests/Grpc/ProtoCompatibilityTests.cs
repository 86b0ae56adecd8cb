using EdgePose.Daemon.Tests.Deploy;
using Google.Protobuf.Reflection;

namespace EdgePose.Daemon.Tests.Grpc;

/// <summary>Clients built against an older edgepose.v1 keep working: what was released keeps its names and numbers.</summary>
public sealed class ProtoCompatibilityTests
{
    [Fact]
    public void Every_released_field_and_enum_value_keeps_its_number()
    {
        var current = new HashSet<string>(Wire(EdgePose.V1.EdgeposeReflection.Descriptor), StringComparer.Ordinal);
        var released = File.ReadAllLines(DeployTestKit.PathOf("tests/EdgePose.Daemon.Tests/Grpc/wire-v1.txt"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToArray();

        Assert.NotEmpty(released);
        Assert.All(released, line => Assert.True(current.Contains(line), $"'{line}' was released and is gone or renumbered; add a new field instead."));
    }

    private static IEnumerable<string> Wire(FileDescriptor file) =>
        file.MessageTypes.SelectMany(m => m.Fields.InDeclarationOrder().Select(f => $"{m.Name}.{f.Name} = {f.FieldNumber}"))
            .Concat(file.EnumTypes.SelectMany(e => e.Values.Select(v => $"{e.Name}.{v.Name} = {v.Number}")));
}
