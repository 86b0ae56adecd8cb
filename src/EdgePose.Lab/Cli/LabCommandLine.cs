using System.CommandLine;
using EdgePose.Daemon.Cli;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab</c>: the development tools that make and judge models. They read the same configuration layers and
/// flags as the daemon (<see cref="HostOptionsBinding"/>) so that what they render and score is what the board runs.
/// </summary>
internal static class LabCommandLine
{
    /// <summary>A bad option or value: one line on stderr, nothing written.</summary>
    public const int UsageErrorExitCode = 2;

    public static RootCommand Build()
    {
        var binding = new HostOptionsBinding();
        var root = new RootCommand("EdgePose lab: synthetic datasets for training and evaluation of pose estimators (model, baseline, a running daemon).");
        root.Subcommands.Add(new RenderCommand(binding).Create());
        root.Subcommands.Add(new EvalCommand(binding).Create());
        root.Subcommands.Add(new TrackEvalCommand(binding).Create());
        return root;
    }

    /// <summary>
    /// Parses and runs; parse errors (a value that is not its option's type or breaks its range) exit
    /// <see cref="UsageErrorExitCode"/> with one line each, like the commands' own usage errors, rather than with help text.
    /// </summary>
    public static Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null)
    {
        configuration ??= new InvocationConfiguration();
        var result = Build().Parse(args);
        if (result.Errors.Count == 0)
        {
            return result.InvokeAsync(configuration);
        }

        var command = result.CommandResult.Command is RootCommand ? "edgepose-lab" : $"edgepose-lab {result.CommandResult.Command.Name}";
        foreach (var error in result.Errors)
        {
            configuration.Error.WriteLine($"{command}: {error.Message}");
        }

        return Task.FromResult(UsageErrorExitCode);
    }
}
