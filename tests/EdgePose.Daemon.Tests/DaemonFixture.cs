using System.Net;
using System.Net.Sockets;
using EdgePose.Daemon.Hosting;
using EdgePose.V1;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace EdgePose.Daemon.Tests;

/// <summary>The real daemon host on free loopback ports, with a private metrics registry, and a real gRPC channel to it.</summary>
public sealed class RunningDaemon : IAsyncDisposable
{
    private RunningDaemon(WebApplication app, int grpcPort, int metricsPort, CollectorRegistry registry)
    {
        App = app;
        GrpcPort = grpcPort;
        MetricsPort = metricsPort;
        Registry = registry;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Poses = new PoseService.PoseServiceClient(Channel);
        Health = new Health.HealthClient(Channel);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public WebApplication App { get; }

    public int GrpcPort { get; }

    public int MetricsPort { get; }

    public CollectorRegistry Registry { get; }

    public GrpcChannel Channel { get; }

    public PoseService.PoseServiceClient Poses { get; }

    public Health.HealthClient Health { get; }

    public HttpClient Http { get; }

    public static async Task<RunningDaemon> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? replaceServices = null)
    {
        var grpcPort = FreePort();
        var metricsPort = FreePort();
        var flags = new Dictionary<string, string?>
        {
            ["EdgePose:Grpc:Address"] = $"127.0.0.1:{grpcPort}",
            ["EdgePose:Metrics:Address"] = $"127.0.0.1:{metricsPort}",
            ["EdgePose:Capture:Source"] = "Synthetic",
            ["EdgePose:Capture:AllowSynthetic"] = "true",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            flags[key] = value;
        }

        var registry = Prometheus.Metrics.NewCustomRegistry();
        var app = DaemonHost.Build(configFile: null, flags, registry, replaceServices);
        await app.StartAsync();
        return new RunningDaemon(app, grpcPort, metricsPort, registry);
    }

    /// <summary>
    /// The daemon on <paramref name="camera"/>, retrying a lost camera within 200 ms and re-assessing itself every 200 ms
    /// without frames, so unplug/plug-in tests see the daemon follow within a fraction of a second.
    /// </summary>
    public static Task<RunningDaemon> StartWithCameraAsync(PluggableCamera camera, IReadOnlyDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["EdgePose:Capture:ReconnectInitialDelay"] = "00:00:00.050",
            ["EdgePose:Capture:ReconnectMaxDelay"] = "00:00:00.200",
            ["EdgePose:Pipeline:IdleHeartbeatInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return StartAsync(all, camera.Install);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.");
    }

    public Task WaitForFirstPoseAsync() => WaitUntilAsync(
        async () =>
        {
            try
            {
                await Poses.GetLatestPoseAsync(new GetLatestPoseRequest());
                return true;
            }
            catch (global::Grpc.Core.RpcException ex) when (ex.StatusCode == global::Grpc.Core.StatusCode.Unavailable)
            {
                return false;
            }
        },
        TimeSpan.FromSeconds(30),
        "the first pose");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
