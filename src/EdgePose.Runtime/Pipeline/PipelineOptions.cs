using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using EdgePose.Core.Configuration;

namespace EdgePose.Runtime.Pipeline;

/// <summary>Which estimator answers, per frame and object; configured (and reported) by the names below.</summary>
[TypeConverter(typeof(ChoiceConverter<FallbackPolicy>))]
public enum FallbackPolicy
{
    /// <summary>The model answers; the baseline replaces it when the model is absent, failing, too slow or unsure.</summary>
    [JsonStringEnumMemberName("model-with-fallback")]
    ModelWithFallback,
    /// <summary>The model or nothing.</summary>
    [JsonStringEnumMemberName("model-only")]
    ModelOnly,
    /// <summary>The scripted baseline only.</summary>
    [JsonStringEnumMemberName("baseline-only")]
    BaselineOnly,
    /// <summary>The baseline where its marker is seen, the model elsewhere.</summary>
    [JsonStringEnumMemberName("prefer-baseline-when-marker-visible")]
    PreferBaselineWhenMarkerVisible,
}

/// <summary>When a frame's baseline runs, under model-with-fallback.</summary>
[TypeConverter(typeof(ChoiceConverter<BaselineScheduling>))]
public enum BaselineScheduling
{
    /// <summary>Only once the model has been rejected: a fallback frame pays for the model, then the baseline.</summary>
    [JsonStringEnumMemberName("after-model")]
    AfterModel,
    /// <summary>
    /// Beside the model, on another core, when the previous frame needed the baseline (fallbacks come in runs: a marker
    /// hidden, a pose the model is unsure of): a fallback frame then costs the slower of the two, while a frame whose
    /// guess was wrong waits for a baseline it did not need.
    /// </summary>
    [JsonStringEnumMemberName("beside-model-after-fallback")]
    BesideModelAfterFallback,
}

/// <summary>Section "EdgePose:Pipeline". A record, so a variant is a <c>with</c> copy that keeps every other setting.</summary>
public sealed record PipelineOptions
{
    public const string SectionName = "EdgePose:Pipeline";

    public FallbackPolicy FallbackPolicy { get; set; } = FallbackPolicy.ModelWithFallback;

    public BaselineScheduling BaselineScheduling { get; set; } = BaselineScheduling.AfterModel;

    /// <summary>A model answer slower than this (preprocess + inference + PnP) is replaced by the baseline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan ModelLatencyBudget { get; set; } = TimeSpan.FromMilliseconds(60);

    /// <summary>Frame capture to result published; later results count as budget overruns.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan LatencyBudget { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the pipeline waits for a frame before it reports itself alive anyway (watchdog, state refresh).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan IdleHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many nice levels above the rest of the daemon the live loop's own threads run (Linux; 0 leaves them level), so
    /// on-demand requests take the CPU only when the live loop does not need it. Lowering a nice value needs CAP_SYS_NICE or
    /// a nice limit (the shipped unit's LimitNICE=); without either the daemon logs it and runs the loop at its own priority.
    /// </summary>
    [Range(0, 20)]
    public int LiveThreadPriorityBoost { get; set; } = 10;
}
