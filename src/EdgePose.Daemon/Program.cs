using EdgePose.Daemon.Cli;

return await EdgePoseCommandLine.Build().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration
{
    // The host handles SIGTERM/SIGINT itself (graceful stop, systemd STOPPING=1).
    ProcessTerminationTimeout = null,
});
