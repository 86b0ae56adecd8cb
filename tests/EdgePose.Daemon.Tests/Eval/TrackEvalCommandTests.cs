using System.CommandLine;
using EdgePose.Lab.Cli;

namespace EdgePose.Daemon.Tests.Eval;

/// <summary><c>edgepose-lab track-eval</c> through the real command line on a short rendered sequence (a smoke run: the figures are the README's, on 300 frames).</summary>
public sealed class TrackEvalCommandTests
{
    [Fact]
    public async Task A_rendered_sequence_is_tracked_and_raw_and_filtered_figures_are_reported()
    {
        var root = Directory.CreateTempSubdirectory("edgepose-track-").FullName;
        try
        {
            var (code, stdout, stderr) = await Lab("render", "--out", root, "--split", "sequence", "--trajectory", "scripted", "--count", "24", "--fps", "15", "--width", "320", "--height", "240");
            Assert.True(code == 0, stderr);

            (code, stdout, stderr) = await Lab("track-eval", "--data", root, "--fps", "15", "--inject-outliers", "0.5", "--seed", "3");

            Assert.True(code == 0, stderr);
            Assert.Contains("tracking 24 frames", stdout, StringComparison.Ordinal);
            Assert.Contains("| raw | ", stdout, StringComparison.Ordinal);
            Assert.Contains("| filtered | ", stdout, StringComparison.Ordinal);
            Assert.Matches(@"wrong raw poses: \d+ \(\d+ injected\); taken in by the filter: \d+", stdout);
            Assert.Contains("served by the filter's prediction: ", stdout, StringComparison.Ordinal);
            Assert.Contains("raw pose verdicts: ", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_sequence_is_a_usage_error()
    {
        var (code, _, stderr) = await Lab("track-eval", "--data", "/nonexistent/sequence");

        Assert.Equal(2, code);
        Assert.Contains("edgepose-lab track-eval: --data = '/nonexistent/sequence': no such folder.", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Lab(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await LabCommandLine.InvokeAsync(args, new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }
}
