using System.ComponentModel.DataAnnotations;

namespace EdgePose.Runtime.BoardHealth;

/// <summary>
/// Section "EdgePose:BoardHealth": Jetson GPU load, shared memory, temperatures and power rails, exported next to the latency
/// budget so a slow frame can be told apart from a throttling or saturated board.
/// </summary>
public sealed class BoardHealthOptions
{
    public const string SectionName = "EdgePose:BoardHealth";

    /// <summary>Off: no board metrics even on a Jetson (e.g. when jtop or node_exporter already exports them).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where sysfs is mounted; tests point it at a fake tree.</summary>
    [Required] public string SysfsRoot { get; set; } = "/sys";

    /// <summary>Where procfs is mounted (meminfo).</summary>
    [Required] public string ProcRoot { get; set; } = "/proc";
}
