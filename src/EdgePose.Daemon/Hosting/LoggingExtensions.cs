using Microsoft.Extensions.Hosting.Systemd;

namespace EdgePose.Daemon.Hosting;

internal static class LoggingExtensions
{
    /// <summary>
    /// Under systemd, AddSystemd() already formats for journald; elsewhere: readable lines on a terminal,
    /// one JSON object per line when output goes to a file or a container log collector.
    /// </summary>
    public static ILoggingBuilder AddDaemonConsole(this ILoggingBuilder logging)
    {
        if (SystemdHelpers.IsSystemdService())
        {
            return logging;
        }

        logging.ClearProviders();
        if (Console.IsOutputRedirected)
        {
            logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        return logging;
    }
}
