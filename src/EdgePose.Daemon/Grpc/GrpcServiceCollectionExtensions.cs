using EdgePose.Daemon.Grpc;
using EdgePose.Daemon.Hosting;
using EdgePose.Daemon.Metrics;
using Grpc.HealthCheck;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class GrpcServiceCollectionExtensions
{
    public static IServiceCollection AddPoseGrpc(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<GrpcOptions>(configuration, GrpcOptions.SectionName, GrpcTls.Validate);
        services.AddSingleton<DaemonInfo>();
        // Created with the host so uptime counts from the start, not from the first GetStatus.
        services.AddHostedService(sp => new EagerSingleton<DaemonInfo>(sp.GetRequiredService<DaemonInfo>()));
        services.AddSingleton<EstimateAdmission>();
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton<HealthReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthReporter>());
        services.AddSingleton<GrpcMetricsInterceptor>();
        services.AddGrpc(o => o.Interceptors.Add<GrpcMetricsInterceptor>());
        // One instance for all calls (its dependencies are singletons), so streams share the mapped result.
        services.AddSingleton<PoseGrpcService>();
        services.AddSingleton<global::Grpc.AspNetCore.Server.Model.IServiceMethodProvider<PoseGrpcService>, StrictRequestParsing>();
        services.AddOptions<global::Grpc.AspNetCore.Server.GrpcServiceOptions>()
            .Configure<IOptions<GrpcOptions>>((grpc, ours) =>
            {
                grpc.MaxReceiveMessageSize = ours.Value.MaxMessageBytes;
                grpc.MaxSendMessageSize = ours.Value.MaxMessageBytes;
                grpc.EnableDetailedErrors = false;
            });
        services.AddGrpcReflection();
        return services;
    }

    public static WebApplication MapPoseGrpc(this WebApplication app)
    {
        app.MapGrpcService<PoseGrpcService>().OnlyOn(Listener.Grpc).Add(StrictRequestParsing.PreferStrictParsing);
        app.MapGrpcService<HealthServiceImpl>().OnlyOn(Listener.Grpc);
        app.MapGrpcReflectionService().OnlyOn(Listener.Grpc);
        return app;
    }

    public static IServiceCollection AddServiceMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetricsEndpointOptions>().Bind(configuration.GetSection(MetricsEndpointOptions.SectionName));
        services.AddSingleton<ServiceMetrics>();
        // Created with the host so the gauges exist from the first scrape, not from the first gRPC call.
        services.AddHostedService(sp => new EagerSingleton<ServiceMetrics>(sp.GetRequiredService<ServiceMetrics>()));
        return services;
    }
}

/// <summary>Resolves a singleton at start so its side effects (metric registration) happen before the first request.</summary>
internal sealed class EagerSingleton<T>(T instance) : IHostedService
{
    public T Instance { get; } = instance;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
