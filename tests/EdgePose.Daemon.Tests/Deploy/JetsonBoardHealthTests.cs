using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgePose.Runtime.BoardHealth;
using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Tests.Deploy;

public sealed class JetsonBoardHealthTests
{
    [Fact]
    public async Task A_Jetson_sysfs_tree_is_exported_in_base_units_at_scrape_time()
    {
        using var board = new FakeJetsonSysfs();
        var registry = await StartAsync(new BoardHealthOptions { SysfsRoot = board.Sysfs, ProcRoot = board.Procfs });

        var scrape = await ScrapeAsync(registry);
        Assert.Equal(0.347, Value(scrape, "edgepose_board_gpu_load_ratio"), 6);
        Assert.Equal(7999000.0 * 1024, Value(scrape, "edgepose_board_memory_total_bytes"));
        Assert.Equal(2000000.0 * 1024, Value(scrape, "edgepose_board_memory_used_bytes"));
        Assert.Equal(45.5, Value(scrape, "edgepose_board_temperature_celsius{zone=\"cpu-thermal\"}"), 6);
        Assert.Equal(47.25, Value(scrape, "edgepose_board_temperature_celsius{zone=\"gpu-thermal\"}"), 6);
        Assert.Equal(44, Value(scrape, "edgepose_board_temperature_celsius{zone=\"cpu-thermal_2\"}"), 6);
        Assert.Equal(6, Value(scrape, "edgepose_board_power_watts{rail=\"VDD_IN\"}"), 6);
        Assert.Equal(2, Value(scrape, "edgepose_board_power_watts{rail=\"VDD_CPU_GPU_CV\"}"), 6);
        Assert.DoesNotContain("sum of shunt", scrape);

        // Read at every scrape: a new value shows up without a restart.
        board.Write("sys/devices/platform/gpu.0/load", "1000\n");
        board.Write("sys/devices/virtual/thermal/thermal_zone1/temp", "80000\n");
        scrape = await ScrapeAsync(registry);
        Assert.Equal(1, Value(scrape, "edgepose_board_gpu_load_ratio"));
        Assert.Equal(80, Value(scrape, "edgepose_board_temperature_celsius{zone=\"gpu-thermal\"}"));
    }

    [Fact]
    public async Task A_file_that_stops_reading_drops_its_series_instead_of_reporting_zero_and_comes_back()
    {
        using var board = new FakeJetsonSysfs();
        var registry = await StartAsync(new BoardHealthOptions { SysfsRoot = board.Sysfs, ProcRoot = board.Procfs });

        board.Write("sys/devices/platform/gpu.0/load", "garbage\n");
        board.Delete("sys/devices/virtual/thermal/thermal_zone0/temp");
        board.Delete("sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040/hwmon/hwmon3/curr1_input");
        var scrape = await ScrapeAsync(registry);
        Assert.DoesNotMatch("^edgepose_board_gpu_load_ratio ", Lines(scrape));
        Assert.DoesNotContain("zone=\"cpu-thermal\"}", scrape);
        Assert.DoesNotContain("rail=\"VDD_IN\"", scrape);
        Assert.Contains("zone=\"gpu-thermal\"}", scrape);

        board.Write("sys/devices/platform/gpu.0/load", "10\n");
        Assert.Equal(0.01, Value(await ScrapeAsync(registry), "edgepose_board_gpu_load_ratio"), 6);
    }

    [Fact]
    public async Task Off_a_Jetson_no_board_metric_exists_at_all()
    {
        // This machine's real /sys and /proc: no Tegra GPU load file, so not even memory is exported.
        Assert.False(File.Exists("/sys/devices/platform/gpu.0/load") || File.Exists("/sys/devices/gpu.0/load"), "this test expects a non-Jetson machine");
        var registry = await StartAsync(new BoardHealthOptions());
        Assert.DoesNotContain("edgepose_board_", await ScrapeAsync(registry));
    }

    [Fact]
    public async Task Disabled_exports_nothing_even_on_a_Jetson()
    {
        using var board = new FakeJetsonSysfs();
        var registry = await StartAsync(new BoardHealthOptions { Enabled = false, SysfsRoot = board.Sysfs, ProcRoot = board.Procfs });
        Assert.DoesNotContain("edgepose_board_", await ScrapeAsync(registry));
    }

    private static async Task<Prometheus.CollectorRegistry> StartAsync(BoardHealthOptions options)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var health = new JetsonBoardHealth(new PoseMetrics(registry), Options.Create(options), NullLogger<JetsonBoardHealth>.Instance);
        await health.StartAsync(CancellationToken.None);
        return registry;
    }

    private static async Task<string> ScrapeAsync(Prometheus.CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Lines(string scrape) => string.Join('\n', scrape.Split('\n').Where(l => !l.StartsWith('#')));

    private static double Value(string scrape, string series)
    {
        var match = Regex.Match(scrape, $"^{Regex.Escape(series)} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{series} is not in the scrape:\n{scrape}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
