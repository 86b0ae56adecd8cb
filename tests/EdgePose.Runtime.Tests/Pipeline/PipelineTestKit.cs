using EdgePose.Core.Geometry;
using EdgePose.Runtime.Inference;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using EdgePose.Simulation.Scene;
using EdgePose.Runtime.Tests.Inference;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgePose.Runtime.Tests.Pipeline;

/// <summary>The estimator wired as the daemon wires it (real baseline, real ONNX model host), configured per test.</summary>
internal sealed class EstimatorUnderTest : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EstimatorUnderTest(ServiceProvider services) => _services = services;

    public IPoseEstimator Estimator => _services.GetRequiredService<IPoseEstimator>();

    public IPoseEstimator OnDemand => _services.GetRequiredKeyedService<IPoseEstimator>(PoseEstimators.OnDemand);

    public IModelHost ModelHost => _services.GetRequiredService<IModelHost>();

    public T Service<T>(string? key)
        where T : notnull => _services.GetRequiredKeyedService<T>(key);

    public static async Task<EstimatorUnderTest> CreateAsync(
        string policy, string? modelPath, TimeProvider? clock = null, int warmupRuns = 1, string baselineScheduling = "after-model")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePose:Pipeline:FallbackPolicy"] = policy,
            ["EdgePose:Pipeline:BaselineScheduling"] = baselineScheduling,
            ["EdgePose:Inference:ModelPath"] = modelPath ?? "",
            ["EdgePose:Inference:WatchModelFile"] = "false",
            ["EdgePose:Inference:WarmupRuns"] = warmupRuns.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["EdgePose:Inference:ExecutionProviders:0"] = "CPU",
            // Generous, so a loaded test machine never turns a model answer into an over-budget fallback; SlowClock
            // still overruns it.
            ["EdgePose:Pipeline:ModelLatencyBudget"] = "00:00:10",
        }).Build();
        var collection = new ServiceCollection();
        collection.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        collection.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        if (clock is not null)
        {
            collection.AddSingleton<TimeProvider>(clock);
        }

        collection.AddPoseEstimation(configuration, Prometheus.Metrics.NewCustomRegistry());
        var under = new EstimatorUnderTest(collection.BuildServiceProvider());
        if (!string.IsNullOrEmpty(modelPath))
        {
            await under.ModelHost.ReloadAsync(CancellationToken.None);
        }

        return under;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

internal static class Scenes
{
    /// <summary>The marker on the box's top face looks at the camera.</summary>
    public static RigidTransform MarkerFacing { get; } = new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(160, 10, 30)), new Vec3(0.03, -0.02, 0.5));

    public static RenderedScene Render(RigidTransform pose, bool markerHidden = false)
    {
        using var renderer = new SyntheticSceneRenderer(
            new SyntheticSceneOptions { NoiseSigma = 0, ClutterShapes = 10 }, InferenceTestKit.Camera, [TargetObject.DefaultBox]);
        return renderer.Render(0, [pose], SceneConditions.Clean with { MarkerHidden = markerHidden });
    }

    public static string Model(TempDirectory directory, RigidTransform pose, Func<TestModelBuilder, TestModelBuilder>? change = null)
    {
        var builder = InferenceTestKit.ModelSeeing(pose);
        return (change?.Invoke(builder) ?? builder).WriteTo(directory.File($"model-{Guid.NewGuid():N}.onnx"));
    }

    /// <summary>
    /// A model that sees <paramref name="pose"/> but scores every keypoint at 90% of the default confidence threshold:
    /// its confidence (at most the mean score) stays below the threshold whatever the threshold is.
    /// </summary>
    public static string UnsureModel(TempDirectory directory, RigidTransform pose) =>
        Model(directory, pose, b => b with { Scores = [.. Enumerable.Repeat((float)(0.9 * new InferenceOptions().ConfidenceThreshold), 9)] });
}

/// <summary>The whole runtime on the synthetic camera, as the daemon hosts it, with its own metrics registry (a service).</summary>
internal static class RuntimeHost
{
    /// <param name="settings">Added to (or overriding) the defaults here.</param>
    /// <param name="services">Registrations that replace the runtime's (the last registration of a service wins).</param>
    public static IHost Build(double cameraFps, string modelPath, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePose:Capture:AllowSynthetic"] = "true",
            ["EdgePose:Capture:Synthetic:FramesPerSecond"] = cameraFps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["EdgePose:Inference:ModelPath"] = modelPath,
            ["EdgePose:Inference:ExecutionProviders:0"] = "CPU",
            ["EdgePose:Inference:WatchModelFile"] = "false",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var registry = Prometheus.Metrics.NewCustomRegistry();
        builder.Services.AddSingleton(registry);
        builder.Services.AddEdgePoseRuntime(builder.Configuration, registry).AddSyntheticCamera(builder.Configuration);
        services?.Invoke(builder.Services);
        return builder.Build();
    }
}

/// <summary>A clock on which every reading is 50 ms after the previous one: anything timed with it looks slow.</summary>
internal sealed class SlowClock : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Every reading 5 s after the last: any timed stage overruns the test kit's 10 s model budget.</summary>
    public override long GetTimestamp() => Interlocked.Add(ref _ticks, TimeSpan.TicksPerSecond * 5);
}
