using System.CommandLine;
using EdgePose.Daemon.Hosting;

namespace EdgePose.Daemon.Cli;

internal static class ServeCommand
{
    public static async Task<int> RunAsync(HostOptionsBinding binding, ParseResult result, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = DaemonHost.Build(binding.ConfigFileValue(result), binding.Flags(result));
        }
        catch (Exception ex) when (EdgePoseCommandLine.IsConfigurationError(ex))
        {
            return EdgePoseCommandLine.ReportConfigurationError(ex);
        }

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (EdgePoseCommandLine.IsConfigurationError(ex))
        {
            await app.DisposeAsync();
            return EdgePoseCommandLine.ReportConfigurationError(ex);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            Console.Error.WriteLine($"edgepose: cannot listen: {ex.Message} (check EdgePose:Grpc:Address and EdgePose:Metrics:Address)");
            return 1;
        }

        await app.WaitForShutdownAsync(CancellationToken.None);
        // Non-zero when a part of the daemon failed fatally and stopped the host, so Restart=on-failure acts.
        var exitCode = DaemonExit.Code(app.Services);
        await app.DisposeAsync();
        return exitCode;
    }
}
