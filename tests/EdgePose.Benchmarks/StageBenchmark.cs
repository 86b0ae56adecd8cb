using System.Diagnostics;
using EdgePose.Core.Contract;
using EdgePose.Runtime.Inference;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Simulation.Scene;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Benchmarks;

/// <summary>
/// Per-stage latency of the baseline and of the model path on rendered 640×480 frames, through the same estimator the daemon
/// runs, and the model path next to bare ONNX Runtime inference of the same model on the same frames, interleaved frame by frame.
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
            var (pre, inf, pnp, baseline, total, bare) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
            using var bareSession = policy == "model-only" ? new BareSession(modelHost.Current!.Info, RenderedFrames.Letterbox(images, modelHost.Current.Info.Contract)) : null;
            var found = 0;
            for (var i = 0; i < images.Count; i++)
            {
                var watch = Stopwatch.StartNew();
                var estimate = estimator.Estimate(images[i].Image, workcell.Camera);
                total.Add(watch.Elapsed.TotalSeconds);
                pre.Add(estimate.Preprocess.TotalSeconds);
                inf.Add(estimate.Inference.TotalSeconds);
                pnp.Add(estimate.Pnp.TotalSeconds);
                baseline.Add(estimate.Baseline.TotalSeconds);
                found += estimate.Poses.Count(p => p.Found);

                // Bare inference of the same frame right after it: both halves of the ratio see the same machine state,
                // which on a shared VM drifts by more than the difference being measured.
                if (bareSession is not null)
                {
                    bare.Add(bareSession.Run(i));
                }
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
                output.WriteLine($"  bare session.Run         {Stats.Milliseconds(bare)}");
                output.WriteLine($"  model path / bare inference (median): {Stats.Median(total) / Stats.Median(bare):0.00}x");
            }

            output.WriteLine($"  whole estimate           {Stats.Milliseconds(total)}  → {1 / Stats.Median(total):0} frames/s single-threaded");
        }

        images.ForEach(i => i.Dispose());
        var sequence = RenderedFrames.RenderSequence(frames);
        await FallbackFramesAsync(sequence, modelPath, output);
        sequence.ForEach(i => i.Dispose());
        return 0;
    }

    /// <summary>
    /// On a live sequence (the scripted path, where the baseline searches first around the previous frame's marker): the
    /// baseline alone, then the default policy's frames split by whether the baseline answered, with the baseline after
    /// the model and beside it (after a fallback): what a fallback frame costs against max(model, baseline) + PnP, and
    /// what a wrong guess costs.
    /// </summary>
    private static async Task FallbackFramesAsync(List<RenderedScene> images, string? modelPath, TextWriter output)
    {
        var workcell = Workcell.Default;
        output.WriteLine($"-- {images.Count} consecutive frames of the scripted path at 30 fps --");
        await using (var baselineOnly = Services("baseline-only", modelPath))
        {
            var estimator = baselineOnly.GetRequiredService<IPoseEstimator>();
            var times = images.Select(scene => estimator.Estimate(scene.Image, workcell.Camera).Baseline.TotalSeconds).ToList();
            output.WriteLine($"== baseline-only on the sequence");
            output.WriteLine($"  baseline (detect + PnP)  {Stats.Milliseconds(times)}");
        }

        foreach (var scheduling in new[] { "after-model", "beside-model-after-fallback" })
        {
            await using var services = Services("model-with-fallback", modelPath, scheduling);
            var modelHost = services.GetRequiredService<IModelHost>();
            await modelHost.ReloadAsync(CancellationToken.None);
            if (modelHost.Current is null)
            {
                return;
            }

            // Split by what the previous frame did: only after a fallback does the beside-model scheduling start the baseline early.
            var estimator = services.GetRequiredService<IPoseEstimator>();
            var frames = new Dictionary<(bool Fallback, bool AfterFallback), List<(double Total, double Model, double Baseline, bool MarkerFound)>>();
            var previousFellBack = false;
            foreach (var scene in images)
            {
                var watch = Stopwatch.StartNew();
                var estimate = estimator.Estimate(scene.Image, workcell.Camera);
                var elapsed = watch.Elapsed.TotalSeconds;
                var fellBack = estimate.Poses.Any(p => p.FallbackReason != FallbackReason.None);
                frames.TryAdd((fellBack, previousFellBack), []);
                var model = (estimate.Preprocess + estimate.Inference + estimate.Pnp).TotalSeconds;
                frames[(fellBack, previousFellBack)].Add((elapsed, model, estimate.Baseline.TotalSeconds, estimate.Poses.Any(p => p.Source == PoseSource.Baseline)));
                previousFellBack = fellBack;
            }

            output.WriteLine($"== model-with-fallback, baseline {scheduling}");
            foreach (var ((fellBack, afterFallback), times) in frames.OrderBy(f => f.Key.Fallback).ThenBy(f => f.Key.AfterFallback))
            {
                var kind = $"{(fellBack ? "fallback" : "model-answered")} frame after a {(afterFallback ? "fallback" : "model-answered")} one";
                output.WriteLine($"  {kind,-48} {Stats.Milliseconds([.. times.Select(t => t.Total)])}");
                if (fellBack)
                {
                    // What a fallback frame is made of: the baseline's cost depends on whether the marker is there to find.
                    output.WriteLine($"    model part {Stats.Median([.. times.Select(t => t.Model)]) * 1000:0.00} ms, baseline part {Stats.Median([.. times.Select(t => t.Baseline)]) * 1000:0.00} ms (median); "
                        + $"baseline answered on {times.Count(t => t.MarkerFound)}: {Stats.Median([.. times.Where(t => t.MarkerFound).Select(t => t.Total)]) * 1000:0.00} ms, "
                        + $"marker not found on {times.Count(t => !t.MarkerFound)}: {Stats.Median([.. times.Where(t => !t.MarkerFound).Select(t => t.Total)]) * 1000:0.00} ms");
                }
            }
        }
    }

    private static ServiceProvider Services(string policy, string? modelPath, string scheduling = "after-model")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePose:Pipeline:FallbackPolicy"] = policy,
            ["EdgePose:Pipeline:BaselineScheduling"] = scheduling,
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

    /// <summary>
    /// session.Run alone on the frames the model path ran, letterboxed beforehand: the floor the path is compared with.
    /// Real frames, not a constant input (the refiner's crops follow the locator), each copied untimed into the one input
    /// buffer just before its run, so that the input is as fresh in cache as the path's own letterboxing leaves it.
    /// </summary>
    private sealed class BareSession : IDisposable
    {
        private const int WarmUpRuns = 3;

        private readonly InferenceSession _session;
        private readonly ModelContract _contract;
        private readonly float[][] _frames;
        private readonly float[] _input;
        private readonly OrtValue _value;
        private readonly RunOptions _runOptions = new();

        public BareSession(ModelInfo info, float[][] frames)
        {
            using var options = OrtSessionFactory.BaseSessionOptions(intraOpThreads: 2);
            _session = new InferenceSession(info.Path, options);
            (_contract, _frames) = (info.Contract, frames);
            _input = new float[3 * _contract.InputWidth * _contract.InputHeight];
            _value = OrtValue.CreateTensorValueFromMemory(_input, [1, 3, _contract.InputHeight, _contract.InputWidth]);
            for (var i = 0; i < WarmUpRuns; i++)
            {
                Run(i % frames.Length);
            }
        }

        /// <summary>Seconds one session.Run of frame <paramref name="index"/> took.</summary>
        public double Run(int index)
        {
            _frames[index].CopyTo(_input, 0);
            var watch = Stopwatch.StartNew();
            using var outputs = _session.Run(_runOptions, [_contract.InputName], [_value], [_contract.KeypointsOutput, _contract.ScoresOutput]);
            return watch.Elapsed.TotalSeconds;
        }

        public void Dispose()
        {
            _value.Dispose();
            _runOptions.Dispose();
            _session.Dispose();
        }
    }
}
