using Microsoft.Extensions.Logging;

namespace EdgePose.Runtime.BoardHealth;

/// <summary>Board health log events; EventIds 1600-1699 are stable.</summary>
internal static partial class BoardHealthLog
{
    [LoggerMessage(EventId = 1600, Level = LogLevel.Information,
        Message = "Board health under {SysfsRoot}: GPU load {GpuLoad}, {ThermalZones} thermal zone(s), {PowerRails} power rail(s)")]
    public static partial void SourcesFound(this ILogger logger, string sysfsRoot, bool gpuLoad, int thermalZones, int powerRails);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information,
        Message = "No Jetson board-health files under {SysfsRoot}; edgepose_board_* metrics are not exported")]
    public static partial void NoSources(this ILogger logger, string sysfsRoot);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Board health file {Path} could not be read ({Error}); its metric is left out while it fails")]
    public static partial void ReadFailed(this ILogger logger, string path, string error);
}
