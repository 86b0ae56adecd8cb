using EdgePose.Lab.Cli;

return await LabCommandLine.InvokeAsync(args);
