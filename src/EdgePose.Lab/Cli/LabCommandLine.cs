using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.CommandLine.Parsing;
using EdgePose.Core.Objects;
using EdgePose.Daemon.Cli;
using EdgePose.Daemon.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
        var root = new RootCommand("EdgePose lab: synthetic datasets for training and evaluation of pose estimators (model, baseline, a running daemon), and camera calibration.");
        root.Subcommands.Add(new RenderCommand(binding).Create());
        root.Subcommands.Add(new EvalCommand(binding).Create());
        root.Subcommands.Add(new ThresholdCommand(binding).Create());
        root.Subcommands.Add(new TrackEvalCommand(binding).Create());
        root.Subcommands.Add(CalibrateCommand.Create(binding));
        root.Subcommands.Add(new LabelCommand(binding).Create());
        return root;
    }

    /// <summary>
    /// A command that reads the daemon's configuration layers and flags besides its own options; a configuration error
    /// in <paramref name="run"/> exits 78 with one line naming the setting.
    /// </summary>
    public static Command Configured(
        string name, string description, HostOptionsBinding binding, IEnumerable<Option> options, Func<ParseResult, TextWriter, TextWriter, CancellationToken, Task<int>> run)
    {
        var command = new Command(name, description);
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        binding.AddTo(command);
        command.SetAction((result, ct) => EdgePoseCommandLine.GuardedAsync(() => run(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, ct)));
        return command;
    }

    /// <summary>Whether --data is missing or no folder; <paramref name="problem"/> says which, as a usage error's text.</summary>
    public static bool IsMissingDataRoot([NotNullWhen(false)] string? data, out string problem)
    {
        problem = data is null ? "--data: required, the BOP dataset root." : $"--data = '{data}': no such folder.";
        return string.IsNullOrWhiteSpace(data) || !Directory.Exists(data);
    }

    /// <summary>The workcell as the daemon would see it: appsettings, --config, environment, --set, validated the same way.</summary>
    public static Workcell LoadWorkcell(HostOptionsBinding binding, ParseResult result)
    {
        using var configuration = new ConfigurationManager();
        DaemonConfiguration.Apply(configuration, binding.ConfigFileValue(result), binding.Flags(result));
        using var services = new ServiceCollection().AddWorkcell(configuration).BuildServiceProvider();
        return services.GetRequiredService<Workcell>();
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

        var command = string.Join(' ', CommandPath(result.CommandResult));
        foreach (var error in result.Errors)
        {
            configuration.Error.WriteLine($"{command}: {error.Message}");
        }

        return Task.FromResult(UsageErrorExitCode);
    }

    /// <summary>One usage line, "edgepose-lab calibrate intrinsics: --out: required, …", and <see cref="UsageErrorExitCode"/>.</summary>
    public static int UsageError(TextWriter error, string command, string message)
    {
        error.WriteLine($"edgepose-lab {command}: {message}");
        return UsageErrorExitCode;
    }

    /// <summary>"edgepose-lab calibrate intrinsics" for a subcommand's result: the root's name is the program's.</summary>
    private static Stack<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult { Command: var command })
            {
                names.Push(command is RootCommand ? "edgepose-lab" : command.Name);
            }
        }

        return names;
    }
}
