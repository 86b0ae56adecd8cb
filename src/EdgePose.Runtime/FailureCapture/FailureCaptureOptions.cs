using System.ComponentModel.DataAnnotations;
using EdgePose.Core.Configuration;

namespace EdgePose.Runtime.FailureCapture;

/// <summary>
/// Section "EdgePose:FailureCapture": frames on which the model failed (the baseline answered instead, or nothing was
/// found), written as a BOP split with the poses that were served, for labelling, <c>edgepose-lab eval</c> and training.
/// Off unless <see cref="Directory"/> is set.
/// </summary>
public sealed class FailureCaptureOptions
{
    public const string SectionName = "EdgePose:FailureCapture";

    /// <summary>The dataset root (absolute) that each daemon run adds one split to; empty: capture is off.</summary>
    public string? Directory { get; set; }

    /// <summary>At most one frame per interval is kept; the others are counted as rate-limited.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Everything under <see cref="Directory"/> (earlier runs' splits included) stays under this many bytes; a frame that
    /// would cross it is not written, and nothing more is this run.
    /// </summary>
    [Range(typeof(long), "1048576", "9223372036854775807")]
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>Frames waiting for the writer; when the disk is slower than the interval, the oldest are dropped and counted.</summary>
    [Range(1, 64)]
    public int BufferFrames { get; set; } = 4;

    public bool Enabled => !string.IsNullOrWhiteSpace(Directory);

    internal static IEnumerable<string> Rules(FailureCaptureOptions options)
    {
        if (!options.Enabled)
        {
            yield break;
        }

        var setting = $"{SectionName}:{nameof(Directory)}";
        if (!Path.IsPathFullyQualified(options.Directory!))
        {
            yield return SettingFailure.Format(setting, options.Directory, "must be an absolute path (or empty: capture off).");
            yield break;
        }

        if (WritableProblem(options.Directory!) is { } problem)
        {
            yield return SettingFailure.Format(setting, options.Directory, $"must be a folder the daemon can write: {problem}.");
        }
    }

    /// <summary>Creates the folder and a probe file in it, so a read-only or mistyped path stops the daemon at start, not at the first failure.</summary>
    private static string? WritableProblem(string directory)
    {
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".edgepose-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message.TrimEnd('.');
        }
    }
}
