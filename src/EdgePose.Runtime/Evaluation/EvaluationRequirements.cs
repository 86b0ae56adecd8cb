using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgePose.Runtime.Evaluation;

/// <summary>One requirement: a per-frame limit (exclusive) and the share of frames that must meet it for the gate to pass.</summary>
public sealed record RequirementLimit(
    [property: JsonPropertyName("min_pass_rate")] double MinPassRate,
    [property: JsonPropertyName("below")] double? Below = null);

/// <summary>A requirement as applied: its name, per-frame test and gate minimum.</summary>
public sealed record Requirement(string Name, string Description, double? Below, double MinPassRate, Func<SampleOutcome, bool> Passes);

/// <summary>
/// What a grasp needs from a pose, per frame. A frame without a pose fails every accuracy requirement (found,
/// position_m, angle_deg), so pass rates are over all frames and a model cannot look accurate by declining hard frames;
/// latency_s is measured on every frame, found or not. A frame is grasp-ready when it meets all of them.
/// </summary>
public sealed record EvaluationRequirements(
    [property: JsonPropertyName("found")] RequirementLimit Found,
    [property: JsonPropertyName("position_m")] RequirementLimit PositionMeters,
    [property: JsonPropertyName("angle_deg")] RequirementLimit AngleDegrees,
    [property: JsonPropertyName("latency_s")] RequirementLimit LatencySeconds,
    [property: JsonPropertyName("grasp_ready")] RequirementLimit GraspReady)
{
    public const string GraspReadyName = "grasp_ready";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>The grasp controller's tolerances (1 cm, 5°) and the 100 ms budget; grasp_ready's minimum is about what the others jointly allow.</summary>
    public static EvaluationRequirements Default { get; } = new(
        new RequirementLimit(0.99),
        new RequirementLimit(0.9, 0.01),
        new RequirementLimit(0.9, 5),
        new RequirementLimit(0.99, 0.1),
        new RequirementLimit(0.8));

    /// <summary>The per-frame requirements in report order; grasp_ready is all of them together.</summary>
    [JsonIgnore]
    public IReadOnlyList<Requirement> PerFrame =>
    [
        new("found", "a pose is reported", null, Found.MinPassRate, s => s.Found),
        new("position_m", $"position error < {PositionMeters.Below} m", PositionMeters.Below, PositionMeters.MinPassRate, s => s.PositionErrorMeters < PositionMeters.Below),
        new("angle_deg", $"angle error < {AngleDegrees.Below}°", AngleDegrees.Below, AngleDegrees.MinPassRate, s => s.AngleErrorDegrees < AngleDegrees.Below),
        new("latency_s", $"end-to-end latency < {LatencySeconds.Below} s", LatencySeconds.Below, LatencySeconds.MinPassRate, s => s.Latency.EndToEnd < LatencySeconds.Below),
    ];

    /// <summary>Every requirement including grasp_ready, which the gate checks like the others.</summary>
    [JsonIgnore]
    public IReadOnlyList<Requirement> All
    {
        get
        {
            var perFrame = PerFrame;
            return [.. perFrame, new(GraspReadyName, "all of the above", null, GraspReady.MinPassRate, s => perFrame.All(r => r.Passes(s)))];
        }
    }

    public bool IsGraspReady(SampleOutcome sample) => PerFrame.All(r => r.Passes(sample));

    /// <summary>A pose was served but misses the position or angle tolerance: for a grasp, worse than no pose at all.</summary>
    public bool IsWrongPose(SampleOutcome sample) =>
        sample.Found && !(sample.PositionErrorMeters < PositionMeters.Below && sample.AngleErrorDegrees < AngleDegrees.Below);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses and checks a requirements file; <see cref="InvalidDataException"/> names the file and the field.</summary>
    public static EvaluationRequirements Load(string path)
    {
        EvaluationRequirements? requirements;
        try
        {
            requirements = JsonSerializer.Deserialize<EvaluationRequirements>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message.Split(" Path:", 2)[0]}{(ex.Path is { Length: > 1 } p ? $" (at {p})" : "")}", ex);
        }

        if (requirements is null)
        {
            throw new InvalidDataException($"{path}: empty.");
        }

        var problems = requirements.Problems().ToArray();
        return problems.Length == 0 ? requirements : throw new InvalidDataException($"{path}: {string.Join("; ", problems)}");
    }

    private IEnumerable<string> Problems()
    {
        foreach (var (name, limit, needsBound) in new[]
        {
            ("found", Found, false), ("position_m", PositionMeters, true), ("angle_deg", AngleDegrees, true),
            ("latency_s", LatencySeconds, true), (GraspReadyName, GraspReady, false),
        })
        {
            if (needsBound != limit.Below.HasValue || (limit.Below is { } b && !(b > 0 && double.IsFinite(b))))
            {
                yield return needsBound ? $"{name}.below must be a positive number" : $"{name}.below is not allowed (no per-frame limit)";
            }

            if (!(limit.MinPassRate is >= 0 and <= 1))
            {
                yield return $"{name}.min_pass_rate must be between 0 and 1";
            }
        }
    }
}
