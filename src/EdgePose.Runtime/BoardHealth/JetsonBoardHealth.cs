using System.Collections.Concurrent;
using System.Globalization;
using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace EdgePose.Runtime.BoardHealth;

/// <summary>
/// Exports the Jetson's GPU load, shared memory, temperatures and power rails, read from sysfs/procfs at scrape time (a few
/// small files every scrape interval, so the values are as fresh as the latency histograms they sit next to). A metric
/// whose files do not exist is not created at all: off a Jetson no edgepose_board_* series appears, never a fake zero.
/// </summary>
internal sealed class JetsonBoardHealth(PoseMetrics metrics, IOptions<BoardHealthOptions> options, ILogger<JetsonBoardHealth> logger)
    : IHostedService
{
    private readonly ConcurrentDictionary<string, bool> _failing = new(StringComparer.Ordinal);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return Task.CompletedTask;
        }

        var sources = JetsonBoardSources.Discover(settings);
        if (!sources.Any)
        {
            logger.NoSources(settings.SysfsRoot);
            return Task.CompletedTask;
        }

        logger.SourcesFound(settings.SysfsRoot, sources.GpuLoadFile is not null, sources.ThermalZones.Count, sources.PowerRails.Count);
        var refreshers = CreateGauges(metrics.Factory, sources);
        metrics.Registry.AddBeforeCollectCallback(() => refreshers.ForEach(refresh => refresh()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private List<Action> CreateGauges(MetricFactory factory, JetsonBoardSources sources)
    {
        // Unlabelled gauges start unpublished, so a first read that fails shows nothing rather than 0.
        var unpublished = new GaugeConfiguration { SuppressInitialValue = true };
        var refreshers = new List<Action>();
        if (sources.GpuLoadFile is { } gpuLoadFile)
        {
            var load = factory.CreateGauge("edgepose_board_gpu_load_ratio", "Integrated GPU load (0-1), from the Jetson's per-mille load file.", unpublished);
            refreshers.Add(() => Publish(load, ReadNumber(gpuLoadFile) / 1000));
        }

        if (sources.MemInfoFile is { } memInfoFile)
        {
            var used = factory.CreateGauge("edgepose_board_memory_used_bytes", "Board memory in use (MemTotal - MemAvailable), shared by CPU and GPU on a Jetson.", unpublished);
            var total = factory.CreateGauge("edgepose_board_memory_total_bytes", "Board memory (MemTotal), shared by CPU and GPU on a Jetson.", unpublished);
            refreshers.Add(() =>
            {
                var (memTotal, memAvailable) = ReadMemInfo(memInfoFile);
                Publish(total, memTotal);
                Publish(used, memTotal - memAvailable);
            });
        }

        if (sources.ThermalZones.Count > 0)
        {
            var temperature = factory.CreateGauge(
                "edgepose_board_temperature_celsius", "Thermal zone temperature.", new GaugeConfiguration { LabelNames = ["zone"] });
            refreshers.Add(() =>
            {
                foreach (var zone in sources.ThermalZones)
                {
                    Publish(temperature, zone.Name, ReadNumber(zone.TemperatureFile) / 1000);
                }
            });
        }

        if (sources.PowerRails.Count > 0)
        {
            var power = factory.CreateGauge(
                "edgepose_board_power_watts", "Power drawn on each INA3221-monitored rail.", new GaugeConfiguration { LabelNames = ["rail"] });
            refreshers.Add(() =>
            {
                foreach (var rail in sources.PowerRails)
                {
                    // mV × mA = µW.
                    Publish(power, rail.Name, ReadNumber(rail.VoltageFile) * ReadNumber(rail.CurrentFile) / 1e6);
                }
            });
        }

        return refreshers;
    }

    private static void Publish(Gauge gauge, double? value)
    {
        if (value is { } v)
        {
            gauge.Set(v);
        }
        else
        {
            gauge.Unpublish();
        }
    }

    private static void Publish(Gauge gauge, string label, double? value)
    {
        if (value is { } v)
        {
            gauge.WithLabels(label).Set(v);
        }
        else
        {
            gauge.RemoveLabelled(label);
        }
    }

    /// <summary>One integer per file, as sysfs writes it.</summary>
    private double? ReadNumber(string path) =>
        Read<double>(path, static text => double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null);

    /// <summary>MemTotal and MemAvailable in bytes (meminfo says kB, meaning KiB).</summary>
    private (double? Total, double? Available) ReadMemInfo(string path) =>
        Read(path, ParseMemInfo) is { } memory ? (memory.Total, memory.Available) : (null, null);

    private static (double Total, double Available)? ParseMemInfo(string text)
    {
        double? total = null, available = null;
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && double.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
            {
                switch (fields[0])
                {
                    case "MemTotal:":
                        total = kib * 1024;
                        break;
                    case "MemAvailable:":
                        available = kib * 1024;
                        break;
                }
            }
        }

        return total is { } t && available is { } a ? (t, a) : null;
    }

    /// <summary>The parsed file, or null — with one warning per failing file until it reads again — when it cannot be read or parsed.</summary>
    private T? Read<T>(string path, Func<string, T?> parse)
        where T : struct
    {
        string error;
        try
        {
            if (parse(File.ReadAllText(path)) is { } value)
            {
                _failing.TryRemove(path, out _);
                return value;
            }

            error = "unexpected content";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
        }

        if (_failing.TryAdd(path, true))
        {
            logger.ReadFailed(path, error);
        }

        return null;
    }
}
