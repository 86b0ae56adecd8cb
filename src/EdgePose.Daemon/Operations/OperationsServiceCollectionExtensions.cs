using System.Net;
using EdgePose.Daemon.Hosting;
using EdgePose.Daemon.Operations;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class OperationsServiceCollectionExtensions
{
    /// <summary>The readiness rule (gRPC health reads it too), the latest failures and the live view.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration)
    {
        services.BindAndValidateSection<OperationsOptions>(configuration, OperationsOptions.SectionName);
        services.AddSingleton<Readiness>();
        services.AddSingleton<RecentFailures>();
        services.AddHostedService(sp => sp.GetRequiredService<RecentFailures>());
        services.AddSingleton<LiveView>();
        return services;
    }

    /// <summary>
    /// /healthz, /readyz and (per Operations:LiveView) /live on the operations (metrics) listener only, whose address is
    /// <paramref name="listener"/>: a probe must not reach the gRPC port, where a plain HTTP/1.1 client would only get a
    /// protocol error.
    /// </summary>
    public static WebApplication MapOperations(this WebApplication app, ListenAddress listener)
    {
        app.MapGet("/healthz", () => Results.Text("alive\n")).OnlyOn(Listener.Metrics);
        app.MapGet("/readyz", (Readiness readiness) =>
            {
                var report = readiness.Evaluate();
                return report.Ready
                    ? Results.Text($"{report.Reason}\n")
                    : Results.Text($"not ready: {report.Reason}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .OnlyOn(Listener.Metrics);

        var mode = app.Services.GetRequiredService<IOptions<OperationsOptions>>().Value.LiveView;
        if (mode == LiveViewMode.On || (mode == LiveViewMode.Loopback && IPAddress.IsLoopback(listener.Host)))
        {
            app.MapGet("/live", () => Results.Content(LiveViewPage.Html, "text/html; charset=utf-8")).OnlyOn(Listener.Metrics);
            app.MapGet("/live/stream.mjpg", (HttpContext context, LiveView view) => view.StreamAsync(context)).OnlyOn(Listener.Metrics);
            app.MapGet("/live/status", (LiveView view) => Results.Json(view.Status())).OnlyOn(Listener.Metrics);
        }

        return app;
    }
}
