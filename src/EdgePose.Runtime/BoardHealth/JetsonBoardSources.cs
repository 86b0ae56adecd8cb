using System.Globalization;

namespace EdgePose.Runtime.BoardHealth;

/// <summary>A voltage/current pair of one INA3221 channel (mV and mA), named by its label file (VDD_IN, VDD_CPU_GPU_CV, …).</summary>
internal sealed record PowerRail(string Name, string VoltageFile, string CurrentFile);

/// <summary>A thermal zone's temperature file (m°C), named by its type file (CPU-therm, GPU-therm, tj-therm, …).</summary>
internal sealed record ThermalZone(string Name, string TemperatureFile);

/// <summary>
/// The board-health files found on this machine, discovered once at start: a Jetson's sysfs layout does not change while
/// it runs. Each part is absent (null or empty) where its files do not exist, which is everywhere but a Jetson.
/// </summary>
internal sealed record JetsonBoardSources(
    string? GpuLoadFile, string? MemInfoFile, IReadOnlyList<ThermalZone> ThermalZones, IReadOnlyList<PowerRail> PowerRails)
{
    /// <summary>The integrated GPU's load in per-mille: Orin on JetPack 6, Orin/Xavier on JetPack 5, Xavier/Nano on JetPack 4.</summary>
    private static readonly string[] GpuLoadFiles =
        ["devices/platform/gpu.0/load", "devices/platform/bus@0/17000000.gpu/load", "devices/gpu.0/load"];

    public bool Any => GpuLoadFile is not null || ThermalZones.Count > 0 || PowerRails.Count > 0;

    public static JetsonBoardSources Discover(BoardHealthOptions options)
    {
        var sys = options.SysfsRoot;
        var gpuLoad = GpuLoadFiles.Select(f => Path.Combine(sys, f)).FirstOrDefault(File.Exists);

        // Memory is shared by CPU and GPU only on a Tegra SoC; elsewhere process and node metrics already cover it, so it
        // is exported only where the integrated GPU was found.
        var memInfo = Path.Combine(options.ProcRoot, "meminfo");
        return new JetsonBoardSources(
            gpuLoad,
            gpuLoad is not null && File.Exists(memInfo) ? memInfo : null,
            DiscoverThermalZones(Path.Combine(sys, "devices/virtual/thermal")),
            DiscoverPowerRails(Path.Combine(sys, "bus/i2c/drivers/ina3221")));
    }

    private static List<ThermalZone> DiscoverThermalZones(string thermalRoot)
    {
        var names = new UniqueNames();
        return Directories(thermalRoot, "thermal_zone*")
            .Where(zone => File.Exists(Path.Combine(zone, "temp")))
            .OrderBy(ZoneNumber)
            .Select(zone => new ThermalZone(
                names.Claim(ReadLabel(Path.Combine(zone, "type")) ?? Path.GetFileName(zone)), Path.Combine(zone, "temp")))
            .ToList();
    }

    /// <summary>/sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3/in1_label, in1_input (mV), curr1_input (mA).</summary>
    private static List<PowerRail> DiscoverPowerRails(string driverRoot)
    {
        var names = new UniqueNames();
        var rails = new List<PowerRail>();
        foreach (var hwmon in Directories(driverRoot, "*").SelectMany(device => Directories(Path.Combine(device, "hwmon"), "hwmon*")).Order(StringComparer.Ordinal))
        {
            foreach (var label in Files(hwmon, "in*_label").Order(StringComparer.Ordinal))
            {
                var channel = Path.GetFileName(label)["in".Length..^"_label".Length];
                var voltage = Path.Combine(hwmon, $"in{channel}_input");
                var current = Path.Combine(hwmon, $"curr{channel}_input");
                // The "sum of shunt voltages" channel has a label but no current of its own: not a rail.
                if (File.Exists(voltage) && File.Exists(current) && ReadLabel(label) is { } name)
                {
                    rails.Add(new PowerRail(names.Claim(name), voltage, current));
                }
            }
        }

        return rails;
    }

    private static int ZoneNumber(string zoneDirectory) =>
        int.TryParse(Path.GetFileName(zoneDirectory)["thermal_zone".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;

    private static string? ReadLabel(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim() is { Length: > 0 } label ? label : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<string> Directories(string path, string pattern) =>
        Directory.Exists(path) ? Directory.EnumerateDirectories(path, pattern) : [];

    private static IEnumerable<string> Files(string path, string pattern) =>
        Directory.Exists(path) ? Directory.EnumerateFiles(path, pattern) : [];

    /// <summary>Label values must be unique per metric: a repeated name gets _2, _3, … in discovery order.</summary>
    private sealed class UniqueNames
    {
        private readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);

        public string Claim(string name)
        {
            var count = _seen[name] = _seen.GetValueOrDefault(name) + 1;
            return count == 1 ? name : $"{name}_{count}";
        }
    }
}
