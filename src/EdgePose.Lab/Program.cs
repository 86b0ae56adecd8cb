using EdgePose.Lab.Cli;

return await LabCommandLine.Build().Parse(args).InvokeAsync();
