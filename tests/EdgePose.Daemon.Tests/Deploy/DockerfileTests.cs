using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace EdgePose.Daemon.Tests.Deploy;

/// <summary>Dockerfile.jetson cannot be built here (no Docker engine, no GPU): its consistency is checked instead.</summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(DeployTestKit.PathOf("Dockerfile.jetson"));

    [Fact]
    public void Every_COPY_from_names_an_earlier_stage()
    {
        var stages = new List<string>();
        var copies = 0;
        foreach (var line in Lines)
        {
            if (FromPattern().Match(line) is { Success: true } from)
            {
                stages.Add(from.Groups[1].Value);
            }
            else if (CopyFromPattern().Match(line) is { Success: true } copy)
            {
                copies++;
                Assert.True(stages.SkipLast(1).Contains(copy.Groups[1].Value), $"'{line}' copies from a stage that is not defined before it ({string.Join(", ", stages)})");
            }
        }

        Assert.Equal(["publish", "onnxruntime-build", "onnxruntime-supplied", "onnxruntime", "opencv", "runtime"], stages);
        Assert.Equal(3, copies);
    }

    [Fact]
    public void Native_library_versions_match_the_managed_packages()
    {
        var packages = XDocument.Load(DeployTestKit.PathOf("Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);

        // The image publishes the GPU flavour: its managed API, pinned to the GPU natives' version, is what
        // libonnxruntime.so must match.
        Assert.Equal(packages["Microsoft.ML.OnnxRuntime.Gpu.Linux"], packages["Microsoft.ML.OnnxRuntime.Managed"]);
        Assert.Equal(packages["Microsoft.ML.OnnxRuntime.Managed"], Arg("ORT_VERSION"));
        Assert.Equal(packages["OpenCvSharp4"], Arg("OPENCVSHARP_VERSION"));
        // OpenCvSharp 4.13.0.yyyymmdd wraps OpenCV 4.13.0.
        Assert.StartsWith(Arg("OPENCV_VERSION") + ".", packages["OpenCvSharp4"], StringComparison.Ordinal);
    }

    [Fact]
    public void The_daemon_is_cross_published_for_arm64_and_runs_as_a_non_root_video_member()
    {
        var text = string.Join('\n', Lines);
        Assert.Contains("FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS publish", text);
        Assert.Contains("dotnet publish src/EdgePose.Daemon -c Release -r linux-arm64 --self-contained -p:EdgePoseGpu=true", text);
        Assert.Contains("FROM onnxruntime-${ORT_SOURCE} AS onnxruntime", text);
        Assert.Equal("ARG ORT_SOURCE=build", Assert.Single(Lines, l => l.StartsWith("ARG ORT_SOURCE=", StringComparison.Ordinal)));
        Assert.Contains("--use_tensorrt --tensorrt_home /usr/lib/aarch64-linux-gnu", text);
        Assert.Contains("CUDA_ARCHITECTURES=\"72;87\"", text);
        Assert.Contains("-D WITH_GSTREAMER=ON -D WITH_V4L=ON", text);
        Assert.Contains("--groups video", text);
        Assert.Equal("USER edgepose", Assert.Single(Lines, l => l.StartsWith("USER ", StringComparison.Ordinal)));
        Assert.Equal("ENTRYPOINT [\"/opt/edgepose/edgepose\", \"serve\"]", Lines.Last(l => l.Length > 0));
        Assert.All(Lines.Where(l => l.StartsWith("FROM ${L4T_JETPACK}", StringComparison.Ordinal)), l => Assert.Contains(" AS ", l));
        Assert.Matches(@"^ARG L4T_JETPACK=nvcr\.io/nvidia/l4t-jetpack:r36\.", Assert.Single(Lines, l => l.StartsWith("ARG L4T_JETPACK=", StringComparison.Ordinal)));
    }

    private static string Arg(string name) =>
        Assert.Single(Lines, l => l.StartsWith($"ARG {name}=", StringComparison.Ordinal))[$"ARG {name}=".Length..];

    [GeneratedRegex(@"^FROM\s+(?:--platform=\S+\s+)?\S+\s+AS\s+(\S+)$")]
    private static partial Regex FromPattern();

    [GeneratedRegex(@"^COPY\s+--from=(\S+)\s")]
    private static partial Regex CopyFromPattern();
}
