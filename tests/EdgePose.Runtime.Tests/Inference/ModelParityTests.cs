using System.Text.Json;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Inference;

/// <summary>
/// The C# runtime (OpenCV preprocessing + ONNX Runtime) against PyTorch on the same images: reference outputs written by
/// models/training/train.py. Cases: the bundled model with its committed fixture, and the CI smoke run's fresh model
/// when deploy/dev.sh test produced one (EDGEPOSE_SMOKE_MODEL, EDGEPOSE_SMOKE_PARITY).
/// </summary>
public sealed class ModelParityTests
{
    private static List<(string Model, string Fixture)> Cases()
    {
        var cases = new List<(string, string)>();
        var bundled = Path.Combine(AppContext.BaseDirectory, "models", "edgepose-box.onnx");
        var fixture = Path.Combine(AppContext.BaseDirectory, "Inference", "Parity");
        if (File.Exists(bundled) && File.Exists(Path.Combine(fixture, "parity.json")))
        {
            cases.Add((bundled, fixture));
        }

        if (Environment.GetEnvironmentVariable("EDGEPOSE_SMOKE_MODEL") is { Length: > 0 } smoke
            && Environment.GetEnvironmentVariable("EDGEPOSE_SMOKE_PARITY") is { Length: > 0 } smokeFixture)
        {
            cases.Add((smoke, smokeFixture));
        }

        return cases;
    }

    [Fact]
    public void A_bundled_model_comes_with_its_parity_fixture()
    {
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "models", "edgepose-box.onnx")))
        {
            Assert.Contains(Cases(), c => c.Model.EndsWith("edgepose-box.onnx", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Runtime_outputs_equal_pytorch_outputs_on_the_same_images()
    {
        foreach (var (model, fixture) in Cases())
        {
            AssertParity(model, fixture);
        }
    }

    private static void AssertParity(string modelPath, string fixtureDirectory)
    {
        using var model = InferenceTestKit.Load(modelPath, InferenceTestKit.Options(modelPath));
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixtureDirectory, "parity.json")));
        var tolerance = document.RootElement.GetProperty("tolerance").GetDouble();
        var frames = document.RootElement.GetProperty("frames");
        Assert.True(frames.GetArrayLength() > 0);

        foreach (var frame in frames.EnumerateArray())
        {
            using var image = Cv2.ImRead(Path.Combine(fixtureDirectory, frame.GetProperty("image").GetString()!), ImreadModes.Color);
            var (keypoints, scores) = model.Infer(image);

            var expectedKeypoints = frame.GetProperty("keypoints").EnumerateArray().SelectMany(p => p.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
            var expectedScores = frame.GetProperty("scores").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(expectedKeypoints.Length, keypoints.Length);
            var worstKeypoint = expectedKeypoints.Zip(keypoints, (e, a) => Math.Abs(e - a)).Max();
            var worstScore = expectedScores.Zip(scores, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worstKeypoint <= tolerance, $"keypoints differ by {worstKeypoint:E2} (> {tolerance:E0})");
            Assert.True(worstScore <= tolerance, $"scores differ by {worstScore:E2} (> {tolerance:E0})");
        }
    }
}
