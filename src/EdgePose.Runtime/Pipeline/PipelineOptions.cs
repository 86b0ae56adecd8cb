using System.ComponentModel.DataAnnotations;

namespace EdgePose.Runtime.Pipeline;

/// <summary>Which estimator answers, per frame and object.</summary>
public enum FallbackPolicy
{
    /// <summary>The model answers; the baseline replaces it when the model is absent, failing, too slow or unsure.</summary>
    ModelWithFallback,
    /// <summary>The model or nothing.</summary>
    ModelOnly,
    /// <summary>The scripted baseline only.</summary>
    BaselineOnly,
    /// <summary>The baseline where its marker is seen, the model elsewhere.</summary>
    PreferBaselineWhenMarkerVisible,
}

/// <summary>The configuration names of <see cref="FallbackPolicy"/> values.</summary>
public static class FallbackPolicies
{
    public static IReadOnlyDictionary<string, FallbackPolicy> ByName { get; } = new Dictionary<string, FallbackPolicy>(StringComparer.OrdinalIgnoreCase)
    {
        ["model-with-fallback"] = FallbackPolicy.ModelWithFallback,
        ["model-only"] = FallbackPolicy.ModelOnly,
        ["baseline-only"] = FallbackPolicy.BaselineOnly,
        ["prefer-baseline-when-marker-visible"] = FallbackPolicy.PreferBaselineWhenMarkerVisible,
    };
}

/// <summary>Section "EdgePose:Pipeline".</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "EdgePose:Pipeline";

    /// <summary>model-with-fallback (default), model-only, baseline-only or prefer-baseline-when-marker-visible.</summary>
    [Required] public string FallbackPolicy { get; set; } = "model-with-fallback";

    /// <summary>A model answer slower than this (preprocess + inference + PnP) is replaced by the baseline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan ModelLatencyBudget { get; set; } = TimeSpan.FromMilliseconds(60);

    /// <summary>Frame capture to result published; later results count as budget overruns.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan LatencyBudget { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the pipeline waits for a frame before it reports itself alive anyway (watchdog, state refresh).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan IdleHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    public FallbackPolicy ParsedPolicy => FallbackPolicies.ByName[FallbackPolicy];
}
