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

/// <summary>Section "EdgePose:Pipeline". A record, so a variant is a <c>with</c> copy that keeps every other setting.</summary>
public sealed record PipelineOptions
{
    public const string SectionName = "EdgePose:Pipeline";

    public FallbackPolicy FallbackPolicy { get; set; } = FallbackPolicy.ModelWithFallback;

    /// <summary>A model answer slower than this (preprocess + inference + PnP) is replaced by the baseline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan ModelLatencyBudget { get; set; } = TimeSpan.FromMilliseconds(60);

    /// <summary>Frame capture to result published; later results count as budget overruns.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan LatencyBudget { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the pipeline waits for a frame before it reports itself alive anyway (watchdog, state refresh).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan IdleHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);
}
