using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EdgePose.Daemon.Hosting;

/// <summary>
/// Which Kestrel listener a connection came in on, set by the listener itself. Endpoints carry the listener they belong
/// to, and a request for an endpoint on another listener is answered 404: the Host header, which the client chooses,
/// plays no part (RequireHost would route on it).
/// </summary>
internal sealed record Listener(string Name)
{
    public static readonly Listener Grpc = new("grpc");

    public static readonly Listener Metrics = new("metrics");
}

internal static class ListenerExtensions
{
    /// <summary>Marks every connection accepted on <paramref name="listen"/> as <paramref name="listener"/>'s.</summary>
    public static ListenOptions Tag(this ListenOptions listen, Listener listener)
    {
        listen.Use(next => connection =>
        {
            connection.Features.Set(listener);
            return next(connection);
        });
        return listen;
    }

    /// <summary>Serves the endpoints only to connections accepted on <paramref name="listener"/>.</summary>
    public static TBuilder OnlyOn<TBuilder>(this TBuilder endpoints, Listener listener)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(listener);

    /// <summary>After routing: 404 for an endpoint whose listener is not the one the request came in on.</summary>
    public static WebApplication UseListenerSeparation(this WebApplication app)
    {
        app.UseRouting();
        app.Use((context, next) =>
        {
            var required = context.GetEndpoint()?.Metadata.GetMetadata<Listener>();
            if (required is not null && context.Features.Get<Listener>() != required)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        return app;
    }
}
