using System.Diagnostics;

namespace EdgePose.Daemon.Tests.Deploy;

/// <summary>The repository's deploy files and the external tools (systemd-analyze, promtool, prometheus) the deploy tests run.</summary>
internal static class DeployTestKit
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string PathOf(string relative) => Path.Combine(RepositoryRoot, relative);

    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    /// <summary>Runs a tool to completion (bounded), returning its exit code and both streams.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish within 60 s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public static string NewTempDirectory() => Directory.CreateTempSubdirectory("edgepose-deploy-").FullName;

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")) && Directory.Exists(Path.Combine(dir.FullName, "deploy")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact that is skipped, saying how to get the tool, where an external tool it needs is not installed.</summary>
public sealed class FactRequiringAttribute : FactAttribute
{
    public FactRequiringAttribute(string tool, string debianPackage)
    {
        if (!DeployTestKit.OnPath(tool))
        {
            Skip = $"{tool} is not installed: apt-get install {debianPackage} (deploy/dev.sh test installs it)";
        }
    }
}

/// <summary>
/// A Jetson Orin's board-health files, written into a temp dir: the hardware that cannot exist here. Layout as on
/// JetPack 6: per-mille GPU load, thermal zones with type/temp (m°C), an INA3221 with in*_label, in*_input (mV) and
/// curr*_input (mA) behind the driver's device symlink, and /proc/meminfo (kB).
/// </summary>
internal sealed class FakeJetsonSysfs : IDisposable
{
    public FakeJetsonSysfs()
    {
        Root = DeployTestKit.NewTempDirectory();
        Write("sys/devices/platform/gpu.0/load", "347\n");
        Write("sys/devices/virtual/thermal/thermal_zone0/type", "cpu-thermal\n");
        Write("sys/devices/virtual/thermal/thermal_zone0/temp", "45500\n");
        Write("sys/devices/virtual/thermal/thermal_zone1/type", "gpu-thermal\n");
        Write("sys/devices/virtual/thermal/thermal_zone1/temp", "47250\n");
        // Two zones of the same type must still be two series.
        Write("sys/devices/virtual/thermal/thermal_zone2/type", "cpu-thermal\n");
        Write("sys/devices/virtual/thermal/thermal_zone2/temp", "44000\n");

        var hwmon = "sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040/hwmon/hwmon3";
        Write($"{hwmon}/in1_label", "VDD_IN\n");
        Write($"{hwmon}/in1_input", "5000\n");
        Write($"{hwmon}/curr1_input", "1200\n");
        Write($"{hwmon}/in2_label", "VDD_CPU_GPU_CV\n");
        Write($"{hwmon}/in2_input", "5000\n");
        Write($"{hwmon}/curr2_input", "400\n");
        // The summing channel has a label but no current: not a rail.
        Write($"{hwmon}/in7_label", "sum of shunt voltages\n");
        Write($"{hwmon}/in7_input", "1000\n");
        Directory.CreateDirectory(Path.Combine(Root, "sys/bus/i2c/drivers/ina3221"));
        File.CreateSymbolicLink(Path.Combine(Root, "sys/bus/i2c/drivers/ina3221/1-0040"), Path.Combine(Root, "sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040"));

        Write("proc/meminfo", "MemTotal:       7999000 kB\nMemFree:         1000000 kB\nMemAvailable:    5999000 kB\n");
    }

    public string Root { get; }

    public string Sysfs => Path.Combine(Root, "sys");

    public string Procfs => Path.Combine(Root, "proc");

    public Dictionary<string, string?> Settings => new()
    {
        ["EdgePose:BoardHealth:SysfsRoot"] = Sysfs,
        ["EdgePose:BoardHealth:ProcRoot"] = Procfs,
    };

    public void Write(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Delete(string relative) => File.Delete(Path.Combine(Root, relative));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
