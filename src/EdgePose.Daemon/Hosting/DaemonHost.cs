using EdgePose.Daemon.Grpc;
using EdgePose.Daemon.Metrics;
using EdgePose.Runtime.Pipeline;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Prometheus;

namespace EdgePose.Daemon.Hosting;

/// <summary>Builds the daemon: runtime pipeline, gRPC API, metrics listener, systemd integration.</summary>
internal static class DaemonHost
{
    /// <param name="replaceServices">Tests only: stands in for hardware that cannot exist here (a camera device).</param>
    public static WebApplication Build(
        string? configFile,
        IReadOnlyDictionary<string, string?> flags,
        CollectorRegistry? registry = null,
        Action<IServiceCollection>? replaceServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        DaemonConfiguration.Apply(builder.Configuration, configFile, flags, builder.Environment.IsDevelopment());

        // Kestrel takes its listeners from the validated options when the server starts.
        builder.Services.AddSingleton<ConnectionDrain>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<GrpcOptions>, IOptions<MetricsEndpointOptions>, ConnectionDrain>((kestrel, grpc, metrics, drain) =>
        {
            var grpcAddress = grpc.Value.Listen;
            kestrel.Listen(grpcAddress.Host, grpcAddress.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(drain.Track);
                listen.Tag(Listener.Grpc);
                GrpcTls.Configure(listen, grpc.Value);
            });
            if (metrics.Value.Listen is { } metricsAddress)
            {
                kestrel.Listen(metricsAddress.Host, metricsAddress.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(drain.Track);
                    listen.Tag(Listener.Metrics);
                });
            }
        });

        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            // Any failed background service stops the daemon, and DaemonExit turns that into a non-zero exit code.
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Services.AddSystemd();
        builder.Logging.AddDaemonConsole();
        builder.Services
            .AddEdgePoseRuntime(builder.Configuration, registry)
            .AddSyntheticCamera(builder.Configuration)
            .AddPoseGrpc(builder.Configuration)
            .AddServiceMetrics(builder.Configuration)
            .AddOperations(builder.Configuration)
            .AddJetsonBoardHealth(builder.Configuration)
            .AddSystemdIntegration();
        replaceServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseListenerSeparation();
        app.MapPoseGrpc();
        try
        {
            // Resolving the listener options validates them now (config show and doctor never start the server): a bad
            // address stops here, one line naming the setting.
            _ = app.Services.GetRequiredService<IOptions<GrpcOptions>>().Value;
            if (app.Services.GetRequiredService<IOptions<MetricsEndpointOptions>>().Value.Listen is { } metricsListener)
            {
                app.MapMetrics("/metrics", registry).OnlyOn(Listener.Metrics);
                app.MapOperations(metricsListener);
            }
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        // Open streams end when stopping starts, not when the pipeline stops, so Kestrel's drain does not wait on them.
        var store = app.Services.GetRequiredService<PoseResultStore>();
        app.Lifetime.ApplicationStopping.Register(store.CompleteAll);
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<ConnectionDrain>().BeginStopping);
        return app;
    }
}
