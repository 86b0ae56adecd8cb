using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgePose.Benchmarks;

/// <summary>The whole runtime (synthetic camera → channel → estimator → store) as the daemon runs it, camera rate set high.</summary>
internal static class PipelineBenchmark
{
    public static async Task<int> RunAsync(double seconds, double cameraFps, string policy, string? modelPath, TextWriter output)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePose:Capture:AllowSynthetic"] = "true",
            ["EdgePose:Capture:Synthetic:FramesPerSecond"] = cameraFps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["EdgePose:Pipeline:FallbackPolicy"] = policy,
            ["EdgePose:Inference:ModelPath"] = modelPath,
            ["EdgePose:Inference:ExecutionProviders:0"] = "CPU",
        });
        builder.Services.AddEdgePoseRuntime(builder.Configuration).AddSyntheticCamera(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IPoseResultStore>();
        var capture = host.Services.GetRequiredService<ICaptureMonitor>();
        using var subscription = store.Subscribe();

        // Warm-up: skip the first second.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var startFrames = store.Current.FramesProcessed;
        var startCaptured = capture.Status.FramesCaptured;
        var endToEnd = new List<double>();
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await foreach (var result in subscription.Results.ReadAllAsync(window.Token))
            {
                endToEnd.Add(result.Timings.EndToEnd.TotalSeconds);
            }
        }
        catch (OperationCanceledException)
        {
        }

        var processed = store.Current.FramesProcessed - startFrames;
        var captured = capture.Status.FramesCaptured - startCaptured;
        await host.StopAsync();
        output.WriteLine($"EdgePose pipeline benchmark: policy {policy}, synthetic camera at {cameraFps} fps, {seconds} s, {Environment.ProcessorCount} cores");
        output.WriteLine($"  captured {captured / seconds:0.0} frames/s, processed {processed / seconds:0.0} frames/s, dropped {Math.Max(0, captured - processed)} (latest frame wins)");
        output.WriteLine($"  end to end (capture → published)  {Stats.Milliseconds(endToEnd)}");
        var budget = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PipelineOptions>>().Value.LatencyBudget;
        var over = endToEnd.Count(t => t > budget.TotalSeconds);
        output.WriteLine($"  over the {budget.TotalMilliseconds:0} ms budget: {over} of {endToEnd.Count} frames ({100.0 * over / Math.Max(1, endToEnd.Count):0.00}%)");
        return 0;
    }
}
