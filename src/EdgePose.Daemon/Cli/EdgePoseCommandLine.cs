using System.CommandLine;
using System.Text.RegularExpressions;
using EdgePose.Core.Configuration;
using EdgePose.Daemon.Hosting;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Cli;

internal static partial class EdgePoseCommandLine
{
    /// <summary>sysexits.h EX_CONFIG: systemd's Restart=on-failure still restarts, and the journal says why.</summary>
    public const int ConfigurationErrorExitCode = 78;

    public static RootCommand Build()
    {
        var binding = new HostOptionsBinding();
        var root = new RootCommand("EdgePose: 6D object poses from a camera, served over gRPC to the grasp controller.");
        var serve = new Command("serve", "Run the daemon (the default command).");
        binding.AddTo(serve);
        binding.AddTo(root);
        serve.SetAction((result, ct) => ServeCommand.RunAsync(binding, result, ct));
        root.SetAction((result, ct) => ServeCommand.RunAsync(binding, result, ct));

        var config = new Command("config", "Configuration tools.");
        var show = new Command("show", "Print the effective configuration (files, environment, flags and defaults), secrets redacted.");
        binding.AddTo(show);
        show.SetAction(result => Guarded(() => ConfigShowCommand.Run(binding, result, Console.Out)));
        config.Subcommands.Add(show);

        var doctor = new Command("doctor", "Check this machine: OpenCV and its video backends, ONNX Runtime and providers, the model, the camera, the ports.");
        binding.AddTo(doctor);
        doctor.SetAction((result, ct) => GuardedAsync(() => DoctorCommand.RunAsync(binding, result, Console.Out, ct)));

        root.Subcommands.Add(serve);
        root.Subcommands.Add(config);
        root.Subcommands.Add(doctor);
        return root;
    }

    /// <summary>Errors that mean "the configuration is wrong", as opposed to bugs: reported in one line each, exit 78.</summary>
    public static bool IsConfigurationError(Exception exception) => exception switch
    {
        OptionsValidationException or FatalConfigurationException => true,
        // The configuration binder's own message names the key and the value ("Failed to convert configuration value 'x' at 'EdgePose:…'").
        InvalidOperationException { Message: var message } when message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => true,
        InvalidDataException => true,
        _ => false,
    };

    /// <summary>One line per problem on stderr, naming the setting, and a non-zero exit code.</summary>
    public static int ReportConfigurationError(Exception exception)
    {
        var lines = exception switch
        {
            OptionsValidationException validation => validation.Failures,
            FatalConfigurationException fatal => [fatal.Message],
            // A choice setting's unknown name: the binder's message has the setting and value, ours the allowed names.
            { InnerException: InvalidChoiceException choice } when BinderFailure().Match(exception.Message) is { Success: true } failure =>
                [SettingFailure.Format(failure.Groups["path"].Value, failure.Groups["value"].Value, choice.Message)],
            _ => [exception.Message],
        };
        foreach (var line in lines)
        {
            Console.Error.WriteLine($"edgepose: configuration error: {line}");
        }

        return ConfigurationErrorExitCode;
    }

    public static int Guarded(Func<int> run)
    {
        try
        {
            return run();
        }
        catch (Exception ex) when (IsConfigurationError(ex))
        {
            return ReportConfigurationError(ex);
        }
    }

    public static async Task<int> GuardedAsync(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (IsConfigurationError(ex))
        {
            return ReportConfigurationError(ex);
        }
    }

    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']*)'")]
    private static partial Regex BinderFailure();
}
