using System.Reflection;
using System.Text.Json;
using System.Xml.Linq;
using EdgePose.Daemon.Tests.Deploy;

namespace EdgePose.Daemon.Tests.Architecture;

/// <summary>
/// The layout in the README's diagram: core ← runtime ← simulation ← daemon ← lab, each arrow one way. What ships to the
/// board (the daemon) carries neither the lab nor its plotting stack, and the runtime library no web server.
/// </summary>
public sealed class AssemblyLayoutTests
{
    /// <summary>Each source project and the projects it references directly; nothing else may appear.</summary>
    public static TheoryData<string, string[]> ProjectReferences => new()
    {
        { "EdgePose.Core", [] },
        { "EdgePose.Runtime", ["EdgePose.Core"] },
        { "EdgePose.Simulation", ["EdgePose.Runtime"] },
        { "EdgePose.Daemon", ["EdgePose.Runtime", "EdgePose.Simulation"] },
        { "EdgePose.Lab", ["EdgePose.Daemon", "EdgePose.Simulation"] },
    };

    [Theory]
    [MemberData(nameof(ProjectReferences))]
    public void Projects_reference_only_the_layers_below_them(string project, string[] expected)
    {
        var csproj = XDocument.Load(DeployTestKit.PathOf($"src/{project}/{project}.csproj"));
        var references = csproj.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected.Order(StringComparer.Ordinal), references);
    }

    [Fact]
    public void Every_source_project_is_in_the_layout()
    {
        var projects = Directory.GetDirectories(DeployTestKit.PathOf("src")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(ProjectReferences.Select(row => (string)row[0]).Order(StringComparer.Ordinal), projects);
    }

    [Theory]
    [InlineData("EdgePose.Core", new[] { "EdgePose.Runtime", "EdgePose.Simulation", "edgepose", "edgepose-lab", "Microsoft.ML.OnnxRuntime", "Microsoft.AspNetCore", "prometheus-net", "ScottPlot", "SkiaSharp" })]
    [InlineData("EdgePose.Runtime", new[] { "EdgePose.Simulation", "edgepose", "edgepose-lab", "Microsoft.AspNetCore", "ScottPlot", "SkiaSharp" })]
    [InlineData("EdgePose.Simulation", new[] { "edgepose", "edgepose-lab", "Microsoft.AspNetCore", "ScottPlot", "SkiaSharp" })]
    [InlineData("edgepose", new[] { "edgepose-lab", "ScottPlot", "SkiaSharp" })]
    public void Compiled_assemblies_do_not_reference_the_layers_above_them(string assembly, string[] forbidden)
    {
        var referenced = Assembly.Load(assembly).GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain(referenced, name => forbidden.Any(f => name == f || name.StartsWith(f + ".", StringComparison.Ordinal)));
    }

    /// <summary>The daemon's whole restore graph (what its publish can contain), not just its direct references.</summary>
    [Fact]
    public void The_daemon_restores_no_plotting_or_lab_packages()
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(DeployTestKit.PathOf("src/EdgePose.Daemon/obj/project.assets.json")));
        var libraries = assets.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToArray();
        Assert.Contains("Microsoft.ML.OnnxRuntime", libraries);
        Assert.DoesNotContain(libraries, name => name.StartsWith("ScottPlot", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("SkiaSharp", StringComparison.OrdinalIgnoreCase)
            || name.Equals("EdgePose.Lab", StringComparison.OrdinalIgnoreCase));
    }
}
