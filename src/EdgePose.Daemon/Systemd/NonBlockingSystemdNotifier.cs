using System.Net.Sockets;
using System.Text;
using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.Hosting.Systemd;
using Prometheus;

namespace EdgePose.Daemon.Systemd;

/// <summary>
/// sd_notify that never waits. The host's own notifier sends on a blocking datagram socket, and a Unix datagram socket
/// blocks its sender once the receiver has net.unix.max_dgram_qlen (10 by default) messages unread: when the service
/// manager falls behind, STOPPING=1 held SIGTERM until it read (10.3 s with the queue left unread for 10 s, exit the
/// moment it was drained), and a watchdog ping would hold the thread that sends it. Here a message that cannot be queued
/// at once is dropped, counted and logged: a manager that is not reading cannot act on it anyway.
/// </summary>
internal sealed partial class NonBlockingSystemdNotifier : ISystemdNotifier, IDisposable
{
    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly Socket? _socket;
    private readonly Counter _dropped;
    private readonly ILogger<NonBlockingSystemdNotifier> _logger;

    public NonBlockingSystemdNotifier(PoseMetrics metrics, ILogger<NonBlockingSystemdNotifier> logger)
        : this(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), metrics, logger)
    {
    }

    internal NonBlockingSystemdNotifier(string? socketPath, PoseMetrics metrics, ILogger<NonBlockingSystemdNotifier> logger)
    {
        _logger = logger;
        _dropped = metrics.Factory.CreateCounter(
            "edgepose_systemd_notifications_dropped_total",
            "sd_notify messages dropped because the service manager's socket queue was full or refused them, by message (WATCHDOG, READY, STOPPING, STATUS, ...).",
            new CounterConfiguration { LabelNames = ["message"] });
        if (string.IsNullOrEmpty(socketPath))
        {
            return;
        }

        // A leading '@' names a socket in the abstract namespace, as sd_notify(3) reads it.
        _endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
    }

    public bool IsEnabled => _socket is not null;

    public void Notify(ServiceState state)
    {
        if (_socket is null)
        {
            return;
        }

        var text = state.ToString();
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(text), SocketFlags.None, _endPoint!);
        }
        catch (SocketException e)
        {
            // WouldBlock: the queue is full; ConnectionRefused or NotFound: nobody is reading. Dropped either way.
            var message = text.Split('=', 2)[0];
            _dropped.WithLabels(message).Inc();
            LogDropped(_logger, message, e.SocketErrorCode);
        }
    }

    public void Dispose() => _socket?.Dispose();

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "systemd notification {Message} dropped ({Error}): the service manager is not reading its notify socket")]
    private static partial void LogDropped(ILogger logger, string message, SocketError error);
}
