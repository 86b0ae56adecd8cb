using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using EdgePose.Daemon.Cli;
using EdgePose.Daemon.Hosting;
using EdgePose.Runtime.Pipeline;

namespace EdgePose.Daemon.Tests.Deploy;

/// <summary>deploy/install.sh into a throw-away root (DESTDIR), and the unit it installs verified by systemd itself.</summary>
[UnsupportedOSPlatform("windows")]
public sealed partial class SystemdUnitAndInstallTests
{
    private static readonly string Unit = DeployTestKit.PathOf("deploy/systemd/edgepose.service");

    [Fact]
    public void The_unit_has_the_settings_the_daemon_relies_on_and_none_that_break_GPU_camera_or_JIT()
    {
        var settings = File.ReadAllLines(Unit).Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('=', StringComparison.Ordinal)).ToList();
        foreach (var required in new[]
                 {
                     "Type=notify", "NotifyAccess=main", "ExecStart=/opt/edgepose/edgepose serve", "Restart=on-failure", "User=edgepose",
                     "SupplementaryGroups=video", "StateDirectory=edgepose", "CacheDirectory=edgepose", "ConfigurationDirectory=edgepose",
                     "Environment=EDGEPOSE__Inference__TensorRtEngineCacheDirectory=%C/edgepose/tensorrt",
                     "Environment=EDGEPOSE__Inference__TensorRtTimingCacheDirectory=%C/edgepose/tensorrt-timing",
                     "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes",
                     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK", "SystemCallArchitectures=native",
                 })
        {
            Assert.Contains(required, settings);
        }

        Assert.Matches(@"^WatchdogSec=\d+s$", Setting(settings, "WatchdogSec"));
        Assert.Matches(@"^StartLimitBurst=\d+$", Setting(settings, "StartLimitBurst"));
        Assert.Matches(@"^StartLimitIntervalSec=\d+", Setting(settings, "StartLimitIntervalSec"));
        // A first TensorRT engine build takes minutes.
        Assert.Matches(@"^TimeoutStartSec=([5-9]|[1-5]\d)min$", Setting(settings, "TimeoutStartSec"));

        // The nice limit lets the live pipeline threads go the default boost below the daemon's nice 0, and no further.
        Assert.Equal($"LimitNICE=-{new PipelineOptions().LiveThreadPriorityBoost}", Setting(settings, "LimitNICE"));
        Assert.Equal("CapabilityBoundingSet=", Setting(settings, "CapabilityBoundingSet"));

        // JIT needs W+X pages; PrivateDevices and any DeviceAllow (ProtectClock implies one) hide /dev/video* and the GPU nodes;
        // ProtectProc/ProcSubset break CUDA and Argus reading /proc; PrivateUsers unmaps the video group.
        foreach (var forbidden in new[] { "MemoryDenyWriteExecute", "PrivateDevices", "ProtectProc", "ProcSubset", "ProtectClock", "DeviceAllow", "DevicePolicy", "PrivateUsers" })
        {
            Assert.DoesNotContain(settings, s => s.StartsWith(forbidden + "=", StringComparison.Ordinal));
        }

        // Every EDGEPOSE__ variable must name a real setting: EDGEPOSE__Section__Key → EdgePose:Section:Key.
        var environment = settings.Where(s => s.StartsWith("Environment=EDGEPOSE__", StringComparison.Ordinal))
            .Select(s => s["Environment=".Length..].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        var mapped = DaemonConfiguration.FromEnvironment(environment);
        Assert.Equal("%C/edgepose/tensorrt", mapped["EdgePose:Inference:TensorRtEngineCacheDirectory"]);
        Assert.Equal("%C/edgepose/tensorrt-timing", mapped["EdgePose:Inference:TensorRtTimingCacheDirectory"]);
    }

    [FactRequiring("systemd-analyze", "systemd")]
    public async Task Install_twice_keeps_the_configuration_then_uninstall_and_purge_clean_up()
    {
        var work = DeployTestKit.NewTempDirectory();
        try
        {
            var root = Path.Combine(work, "root");
            var publish = FakePublishDirectory(work);
            var env = new Dictionary<string, string> { ["DESTDIR"] = root };

            var first = await InstallAsync(env, publish);
            Assert.Contains("would run: useradd --system --gid edgepose --groups video", first);
            Assert.Contains("installed /etc/edgepose/edgepose.json", first);
            AssertMode(root, "opt/edgepose/edgepose", "755");
            AssertMode(root, "opt/edgepose/edgepose.dll", "644");
            AssertMode(root, "etc/systemd/system/edgepose.service", "644");
            AssertMode(root, "etc/edgepose", "750");
            AssertMode(root, "etc/edgepose/edgepose.json", "640");
            AssertMode(root, "etc/edgepose/edgepose.json.sample", "640");
            AssertMode(root, "var/lib/edgepose/models", "750");
            AssertMode(root, "var/cache/edgepose", "750");
            Assert.Equal(File.ReadAllText(Unit), File.ReadAllText(Path.Combine(root, "etc/systemd/system/edgepose.service")));
            await VerifyInstalledUnitAsync(root, work);

            // A field engineer's edit survives a reinstall; the old build's leftovers do not.
            var config = Path.Combine(root, "etc/edgepose/edgepose.json");
            File.WriteAllText(config, """{ "EdgePose": { "Capture": { "Source": "Camera", "CameraDevice": "/dev/video2" } } }""");
            File.WriteAllText(Path.Combine(root, "opt/edgepose/stale.dll"), "");
            var second = await InstallAsync(env, publish);
            Assert.Contains("kept the existing /etc/edgepose/edgepose.json", second);
            Assert.Contains("/dev/video2", File.ReadAllText(config));
            Assert.False(File.Exists(Path.Combine(root, "opt/edgepose/stale.dll")));
            Assert.False(Directory.Exists(Path.Combine(root, "opt/edgepose.new")) || Directory.Exists(Path.Combine(root, "opt/edgepose.old")));
            Assert.Contains("systemd is not running here (or DESTDIR is set)", second);

            Assert.Equal(0, (await RunInstallAsync(env, "--uninstall")).ExitCode);
            Assert.False(Directory.Exists(Path.Combine(root, "opt/edgepose")));
            Assert.False(File.Exists(Path.Combine(root, "etc/systemd/system/edgepose.service")));
            Assert.Contains("/dev/video2", File.ReadAllText(config));
            Assert.True(Directory.Exists(Path.Combine(root, "var/lib/edgepose/models")));
            Assert.True(Directory.Exists(Path.Combine(root, "var/cache/edgepose")));

            Assert.Equal(0, (await RunInstallAsync(env, "--uninstall", "--purge")).ExitCode);
            foreach (var gone in new[] { "etc/edgepose", "var/lib/edgepose", "var/cache/edgepose" })
            {
                Assert.False(Directory.Exists(Path.Combine(root, gone)), gone);
            }

            var notABuild = await RunInstallAsync(env, work);
            Assert.Equal(1, notABuild.ExitCode);
            Assert.Contains("is not a published EdgePose build", notABuild.Stderr);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Theory]
    [InlineData("var/lib/edgepose/models")]
    [InlineData("var/lib/edgepose")]
    [InlineData("var/cache/edgepose")]
    [InlineData("etc/edgepose/edgepose.json.sample")]
    public async Task Install_refuses_to_change_modes_or_owners_through_a_planted_link(string planted)
    {
        var work = DeployTestKit.NewTempDirectory();
        try
        {
            var root = Path.Combine(work, "root");
            var elsewhere = Directory.CreateDirectory(Path.Combine(work, "elsewhere")).FullName;
            File.SetUnixFileMode(elsewhere, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var link = Path.Combine(root, planted);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, elsewhere);

            var result = await RunInstallAsync(new Dictionary<string, string> { ["DESTDIR"] = root }, FakePublishDirectory(work));

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"/{planted} is a symbolic link; refusing", result.Stderr);
            Assert.Equal("700", Convert.ToString((int)File.GetUnixFileMode(elsewhere), 8));
            Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task The_installed_configuration_is_valid_for_the_daemon()
    {
        // What install.sh puts in /etc/edgepose/edgepose.json must start: every section binds and validates (the // keys are ignored).
        await using var app = DaemonHost.Build(DeployTestKit.PathOf("deploy/edgepose.json"), new Dictionary<string, string?>(), Prometheus.Metrics.NewCustomRegistry());
        var sections = EffectiveOptions.Resolve(app.Services).Select(s => s.Section).ToList();
        Assert.Contains("BoardHealth", sections);
        Assert.Contains("Operations", sections);
        Assert.Equal("/var/lib/edgepose/models/edgepose.onnx", app.Configuration["EdgePose:Inference:ModelPath"]);
    }

    /// <summary>
    /// systemd-analyze verify checks that ExecStart exists, so the installed unit is verified with /opt/edgepose pointing into
    /// the throw-away root: the executable install.sh put there. Any complaint (unknown key, bad value) fails, not only errors.
    /// </summary>
    private static async Task VerifyInstalledUnitAsync(string root, string work)
    {
        var verifyDir = Directory.CreateDirectory(Path.Combine(work, "verify")).FullName;
        var unit = Path.Combine(verifyDir, "edgepose.service");
        File.WriteAllText(unit, File.ReadAllText(Path.Combine(root, "etc/systemd/system/edgepose.service")).Replace("/opt/edgepose", Path.Combine(root, "opt/edgepose"), StringComparison.Ordinal));

        var verify = await DeployTestKit.RunAsync("systemd-analyze", ["verify", unit]);
        Assert.True(verify.ExitCode == 0 && verify.Stderr.Trim().Length == 0 && verify.Stdout.Trim().Length == 0,
            $"systemd-analyze verify: exit {verify.ExitCode}\n{verify.Stdout}{verify.Stderr}");

        // The hardening score: 'OK' territory, so a removed protection shows up here.
        var security = await DeployTestKit.RunAsync("systemd-analyze", ["security", "--offline=yes", unit]);
        var exposure = ExposurePattern().Match(security.Stdout);
        Assert.True(exposure.Success, security.Stdout + security.Stderr);
        Assert.InRange(double.Parse(exposure.Groups[1].Value, CultureInfo.InvariantCulture), 0, 4.0);
    }

    private static string FakePublishDirectory(string work)
    {
        // install.sh only needs the shape of a publish folder; the real arm64 publish runs in deploy/dev.sh test.
        var publish = Directory.CreateDirectory(Path.Combine(work, "publish")).FullName;
        File.WriteAllText(Path.Combine(publish, "edgepose"), "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(publish, "edgepose"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "edgepose.dll"), Path.Combine(publish, "edgepose.dll"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Path.Combine(publish, "appsettings.json"));
        return publish;
    }

    private static async Task<string> InstallAsync(Dictionary<string, string> env, string publish)
    {
        var result = await RunInstallAsync(env, publish);
        Assert.True(result.ExitCode == 0, $"install.sh exit {result.ExitCode}\n{result.Stdout}{result.Stderr}");
        return result.Stdout;
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunInstallAsync(Dictionary<string, string> env, params string[] arguments) =>
        DeployTestKit.RunAsync("bash", [DeployTestKit.PathOf("deploy/install.sh"), .. arguments], env);

    private static void AssertMode(string root, string relative, string octal)
    {
        var mode = File.GetUnixFileMode(Path.Combine(root, relative));
        Assert.Equal(octal, Convert.ToString((int)mode, 8));
    }

    private static string Setting(List<string> settings, string key) =>
        Assert.Single(settings, s => s.StartsWith(key + "=", StringComparison.Ordinal));

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex ExposurePattern();
}
