using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgePose.Lab.Cli;

namespace EdgePose.Daemon.Tests.Eval;

/// <summary><c>edgepose-lab threshold</c> with the bundled model on two small rendered splits, against the real policy.</summary>
public sealed class ThresholdCommandTests : IClassFixture<ThresholdCommandTests.TwoSplits>
{
    // The budget is the live loop's; here a model answer late on a busy test machine would fall back in one run and not the other.
    private const string NoModelBudget = "EdgePose:Pipeline:ModelLatencyBudget=00:00:10";

    private readonly TwoSplits _data;

    public ThresholdCommandTests(TwoSplits data) => _data = data;

    [Fact]
    public async Task Chooses_the_lowest_threshold_within_the_limit_and_counts_the_wrong_poses_the_policy_itself_serves()
    {
        using var folder = new EvalCommandTests.TempFolder();
        var (code, output, error) = await Lab(
            "threshold", "--data", _data.Root, "--splits", "a,b", "--out", folder.File("thr"), "--max-wrong", "0.2", "--held-out-frames", "0", "--choose-baseline-threshold",
            "--set", NoModelBudget);
        Assert.True(code == 0, error);

        var choice = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.File("thr"), ThresholdCommand.JsonFile)))!["choice"]!;
        var chosen = choice["chosen"]!;
        var (model, baseline) = (Text(chosen["model_threshold"]!), Text(chosen["baseline_threshold"]!));
        Assert.Contains($"set EdgePose:Inference:ConfidenceThreshold={model} EdgePose:Baseline:ConfidenceThreshold={baseline}", output, StringComparison.Ordinal);
        Assert.Contains($"**Chosen: model {model}, baseline {baseline}**", File.ReadAllText(Path.Combine(folder.File("thr"), ThresholdCommand.MarkdownFile)), StringComparison.Ordinal);
        var rows = choice["model_rows"]!.AsArray().Concat(choice["baseline_rows"]!.AsArray()).Select(r => r!["pooled"]!).ToArray();
        Assert.Equal(202, rows.Length);
        static bool Meets(JsonNode pooled) => pooled["policy_wrong_rate"]!.GetValue<double>() <= 0.2 && pooled["model_wrong_rate"]!.GetValue<double>() <= 0.2;
        Assert.True(Meets(chosen["pooled"]!));
        Assert.DoesNotContain(rows, r => Meets(r) && r["policy_ready"]!.GetValue<int>() > chosen["pooled"]!["policy_ready"]!.GetValue<int>());

        // The daemon's own policy at those thresholds serves as many wrong poses on each split as the table says.
        foreach (var (split, index) in new[] { ("a", 0), ("b", 1) })
        {
            (code, _, error) = await Lab(
                "eval", "--data", _data.Root, "--split", split, "--out", folder.File($"eval-{split}"), "--estimators", "model,policy", "--worst", "0",
                "--set", $"EdgePose:Inference:ConfidenceThreshold={model}", "--set", $"EdgePose:Baseline:ConfidenceThreshold={baseline}", "--set", NoModelBudget);
            Assert.True(code == 0, error);
            var estimators = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.File($"eval-{split}"), "report.json")))!["estimators"]!;
            var counts = chosen["splits"]![index]!;
            Assert.Equal(TwoSplits.Frames, counts["frames"]!.GetValue<int>());
            Assert.Equal(counts["policy_wrong"]!.GetValue<int>(), (int)Math.Round(estimators["policy"]!["wrong_pose_rate"]!.GetValue<double>() * TwoSplits.Frames));
            Assert.Equal(counts["model_wrong"]!.GetValue<int>(), (int)Math.Round(estimators["model"]!["wrong_pose_rate"]!.GetValue<double>() * TwoSplits.Frames));
        }
    }

    [Fact]
    public async Task By_default_the_baseline_keeps_its_configured_threshold_and_only_the_model_threshold_is_chosen()
    {
        using var folder = new EvalCommandTests.TempFolder();
        var (code, output, error) = await Lab(
            "threshold", "--data", _data.Root, "--splits", "a", "--out", folder.File("thr"), "--max-wrong", "1",
            "--set", "EdgePose:Baseline:ConfidenceThreshold=0.42");
        Assert.True(code == 0, error);

        var choice = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.File("thr"), ThresholdCommand.JsonFile)))!["choice"]!;
        Assert.Equal(0.42, choice["chosen"]!["baseline_threshold"]!.GetValue<double>());
        Assert.All(choice["model_rows"]!.AsArray(), r => Assert.Equal(0.42, r!["baseline_threshold"]!.GetValue<double>()));
        Assert.Empty(choice["baseline_rows"]!.AsArray());
        Assert.Contains("EdgePose:Baseline:ConfidenceThreshold=0.42", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,../b", "--splits = 'a,../b': must list plain folder names under --data, each once")]
    [InlineData("a,a", "--splits = 'a,a': must list plain folder names under --data, each once")]
    [InlineData("a,missing", "missing")]
    public async Task Bad_splits_are_refused_and_nothing_is_written(string splits, string expected)
    {
        using var folder = new EvalCommandTests.TempFolder();
        var (code, _, error) = await Lab("threshold", "--data", _data.Root, "--splits", splits, "--out", folder.File("thr"));

        Assert.Equal(LabCommandLine.UsageErrorExitCode, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder.File("thr")));
    }

    [Fact]
    public async Task Without_a_model_there_is_nothing_to_choose()
    {
        using var folder = new EvalCommandTests.TempFolder();
        var (code, _, error) = await Lab("threshold", "--data", _data.Root, "--splits", "a", "--out", folder.File("thr"), "--set", "EdgePose:Inference:ModelPath=");

        Assert.Equal(LabCommandLine.UsageErrorExitCode, code);
        Assert.StartsWith("edgepose-lab threshold: no model serves (EdgePose:Inference:ModelPath = ''", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder.File("thr")));
    }

    private static string Text(JsonNode threshold) => threshold.GetValue<double>().ToString("0.00", CultureInfo.InvariantCulture);

    private static async Task<(int Code, string Output, string Error)> Lab(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await LabCommandLine.InvokeAsync(args, new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Two splits at the bundled model's input size, the marker hidden in some frames so that both estimators answer.</summary>
    public sealed class TwoSplits : IAsyncLifetime, IDisposable
    {
        public const int Frames = 16;

        private readonly EvalCommandTests.TempFolder _folder = new();

        public string Root => _folder.File("data");

        public async Task InitializeAsync()
        {
            foreach (var (split, seed) in new[] { ("a", "21"), ("b", "22") })
            {
                var (code, _, error) = await Lab(
                    "render", "--out", Root, "--split", split, "--count", Frames.ToString(CultureInfo.InvariantCulture), "--seed", seed,
                    "--marker-hidden-probability", "0.4", "--occlusion-probability", "0.5", "--min-distance", "0.3", "--max-distance", "1.0");
                Assert.True(code == 0, error);
            }
        }

        public Task DisposeAsync() => Task.CompletedTask;

        public void Dispose() => _folder.Dispose();
    }
}
