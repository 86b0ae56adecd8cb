using System.Collections.Concurrent;
using EdgePose.Daemon.Grpc;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Hosting;

/// <summary>
/// Bounds how long open connections can hold the daemon's stop. Kestrel closes an HTTP/2 connection gracefully only once
/// it has no active stream, so a caller that keeps opening calls holds the drain open; and under such a flood the
/// thread pool's queue delays the host's own stop timeout. After <see cref="GrpcOptions.ShutdownDrainTimeout"/> every
/// connection still open is aborted, from a thread of its own so the flood's queue cannot delay that too.
/// </summary>
internal sealed partial class ConnectionDrain(IOptions<GrpcOptions> options, ILogger<ConnectionDrain> logger)
{
    private readonly ConcurrentDictionary<string, ConnectionContext> _open = new(StringComparer.Ordinal);
    private int _stopping;

    /// <summary>Kestrel connection middleware: tracks each connection while it is open, and refuses new ones once stopping.</summary>
    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        if (Volatile.Read(ref _stopping) != 0)
        {
            connection.Abort(new ConnectionAbortedException("The daemon is stopping."));
            return;
        }

        _open[connection.ConnectionId] = connection;
        try
        {
            await next(connection);
        }
        finally
        {
            _open.TryRemove(connection.ConnectionId, out _);
        }
    };

    /// <summary>Starts the drain: what is still open after the drain timeout is aborted.</summary>
    public void BeginStopping()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        var timeout = options.Value.ShutdownDrainTimeout;
        new Thread(() =>
        {
            Thread.Sleep(timeout);
            AbortOpen(timeout);
        })
        {
            IsBackground = true,
            Name = "edgepose-connection-drain",
        }.Start();
    }

    private void AbortOpen(TimeSpan timeout)
    {
        var aborted = 0;
        foreach (var connection in _open.Values)
        {
            connection.Abort(new ConnectionAbortedException($"Still open {timeout.TotalSeconds:0.###} s after the daemon began stopping."));
            aborted++;
        }

        if (aborted > 0)
        {
            LogAborted(logger, aborted, timeout.TotalSeconds);
        }
    }

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning,
        Message = "Stopping: aborted {Connections} connection(s) still open after {Seconds:0.###} s (EdgePose:Grpc:ShutdownDrainTimeout)")]
    private static partial void LogAborted(ILogger logger, int connections, double seconds);
}
