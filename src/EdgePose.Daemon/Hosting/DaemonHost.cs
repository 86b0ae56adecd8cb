using EdgePose.Daemon.Grpc;
using EdgePose.Daemon.Metrics;
using EdgePose.Runtime.Pipeline;
using Microsoft.AspNetCore.Server.Kestrel.Core;
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

        var grpcAddress = ReadAddress(builder.Configuration, $"{GrpcOptions.SectionName}:Address", "127.0.0.1:50051")!.Value;
        var metricsAddress = ReadAddress(builder.Configuration, $"{MetricsEndpointOptions.SectionName}:Address", "127.0.0.1:9464");
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var grpc = context.Configuration.GetSection(GrpcOptions.SectionName).Get<GrpcOptions>() ?? new GrpcOptions();
            kestrel.Listen(grpcAddress.Host, grpcAddress.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Tag(Listener.Grpc);
                GrpcTls.Configure(listen, grpc);
            });
            if (metricsAddress is { } metrics)
            {
                kestrel.Listen(metrics.Host, metrics.Port, listen => listen.Tag(Listener.Metrics).Protocols = HttpProtocols.Http1);
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
            .AddPoseGrpc(builder.Configuration)
            .AddServiceMetrics(builder.Configuration)
            .AddOperations(builder.Configuration)
            .AddJetsonBoardHealth(builder.Configuration)
            .AddSystemdIntegration();
        replaceServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseListenerSeparation();
        app.MapPoseGrpc();
        if (metricsAddress is not null)
        {
            app.MapMetrics("/metrics", registry).OnlyOn(Listener.Metrics);
            app.MapOperations(metricsAddress.Value);
        }

        // Open streams end when stopping starts, not when the pipeline stops, so Kestrel's drain does not wait on them.
        var store = app.Services.GetRequiredService<PoseResultStore>();
        app.Lifetime.ApplicationStopping.Register(store.CompleteAll);
        return app;
    }

    private static ListenAddress? ReadAddress(ConfigurationManager configuration, string key, string fallback)
    {
        var section = configuration.GetSection(key);
        var text = section.Exists() ? section.Value : fallback;
        if (string.IsNullOrWhiteSpace(text) && key.StartsWith(MetricsEndpointOptions.SectionName, StringComparison.Ordinal))
        {
            return null;
        }

        return ListenAddress.TryParse(text, out var address)
            ? address
            : throw new FatalConfigurationException($"{key} = '{text}': must be host:port with an IP address (or localhost, or *) and a port 0-65535.");
    }
}
