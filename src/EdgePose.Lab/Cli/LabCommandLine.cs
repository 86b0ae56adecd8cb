using System.CommandLine;
using EdgePose.Daemon.Cli;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab</c>: the development tools that make and judge models. They read the same configuration layers and
/// flags as the daemon (<see cref="HostOptionsBinding"/>) so that what they render and score is what the board runs.
/// </summary>
internal static class LabCommandLine
{
    public static RootCommand Build()
    {
        var binding = new HostOptionsBinding();
        var root = new RootCommand("EdgePose lab: synthetic datasets for training and evaluation of pose estimators (model, baseline, a running daemon).");
        root.Subcommands.Add(new RenderCommand(binding).Create());
        root.Subcommands.Add(new EvalCommand(binding).Create());
        return root;
    }
}
