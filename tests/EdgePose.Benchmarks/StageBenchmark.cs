using System.Diagnostics;
using EdgePose.Core.Contract;
using EdgePose.Runtime.Inference;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Benchmarks;

/// <summary>
/// Per-stage latency of the baseline and of the model path on rendered 640×480 frames, through the same estimator the daemon
/// runs, and the model path next to bare ONNX Runtime inference of the same model in the same run.
/// </summary>
internal static class StageBenchmark
{
    public static async Task<int> RunAsync(int frames, string? modelPath, TextWriter output)
    {
        var workcell = Workcell.Default;
        var images = RenderedFrames.Render(frames);
        output.WriteLine($"EdgePose stage benchmark: {frames} rendered frames at {workcell.Camera.Width}x{workcell.Camera.Height}, {Environment.ProcessorCount} cores");

        foreach (var policy in new[] { "baseline-only", "model-only" })
        {
            await using var services = Services(policy, modelPath);
            var modelHost = services.GetRequiredService<IModelHost>();
            await modelHost.ReloadAsync(CancellationToken.None);
            if (policy == "model-only" && modelHost.Current is null)
            {
                output.WriteLine($"model path: skipped ({modelHost.State}: {modelHost.LastError})");
                continue;
            }

            var estimator = services.GetRequiredService<IPoseEstimator>();
            var (pre, inf, pnp, baseline, total) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
            var found = 0;
            foreach (var scene in images)
            {
                var watch = Stopwatch.StartNew();
                var estimate = estimator.Estimate(scene.Image, workcell.Camera);
                total.Add(watch.Elapsed.TotalSeconds);
                pre.Add(estimate.Preprocess.TotalSeconds);
                inf.Add(estimate.Inference.TotalSeconds);
                pnp.Add(estimate.Pnp.TotalSeconds);
                baseline.Add(estimate.Baseline.TotalSeconds);
                found += estimate.Poses.Count(p => p.Found);
            }

            output.WriteLine($"== {policy} ({found}/{frames} found)");
            if (policy == "baseline-only")
            {
                output.WriteLine($"  baseline (detect + PnP)  {Stats.Milliseconds(baseline)}");
            }
            else
            {
                output.WriteLine($"  model: {modelHost.Current!.Info.Path} on {modelHost.Current.Info.ExecutionProvider}");
                output.WriteLine($"  preprocess               {Stats.Milliseconds(pre)}");
                output.WriteLine($"  inference                {Stats.Milliseconds(inf)}");
                output.WriteLine($"  pnp                      {Stats.Milliseconds(pnp)}");
                var bare = BareInference(modelHost.Current.Info, frames);
                output.WriteLine($"  bare session.Run         {Stats.Milliseconds(bare)}");
                output.WriteLine($"  model path / bare inference (median): {Stats.Median(total) / Stats.Median(bare):0.00}x");
            }

            output.WriteLine($"  whole estimate           {Stats.Milliseconds(total)}  → {1 / Stats.Median(total):0} frames/s single-threaded");
        }

        images.ForEach(i => i.Dispose());
        return 0;
    }

    private static ServiceProvider Services(string policy, string? modelPath)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePose:Pipeline:FallbackPolicy"] = policy,
            ["EdgePose:Pipeline:ModelLatencyBudget"] = "00:00:10",
            ["EdgePose:Inference:ModelPath"] = modelPath,
            ["EdgePose:Inference:WatchModelFile"] = "false",
            ["EdgePose:Inference:ExecutionProviders:0"] = "CPU",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        services.AddPoseEstimation(configuration, Prometheus.Metrics.NewCustomRegistry());
        return services.BuildServiceProvider();
    }

    /// <summary>session.Run alone on a constant input: the floor the model path is compared with.</summary>
    private static List<double> BareInference(ModelInfo info, int runs)
    {
        using var options = OrtSessionFactory.BaseSessionOptions(intraOpThreads: 2);
        using var session = new InferenceSession(info.Path, options);
        var c = info.Contract;
        var input = new float[3 * c.InputWidth * c.InputHeight];
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, c.InputHeight, c.InputWidth]);
        using var runOptions = new RunOptions();
        var times = new List<double>(runs);
        for (var i = 0; i < runs + 3; i++)
        {
            var watch = Stopwatch.StartNew();
            using var outputs = session.Run(runOptions, [c.InputName], [value], [c.KeypointsOutput, c.ScoresOutput]);
            if (i >= 3)
            {
                times.Add(watch.Elapsed.TotalSeconds);
            }
        }

        return times;
    }
}
