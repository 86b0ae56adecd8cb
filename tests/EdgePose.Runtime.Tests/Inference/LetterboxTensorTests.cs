using EdgePose.Core.Contract;
using EdgePose.Runtime.Inference;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Inference;

public sealed class LetterboxTensorTests
{
    private static readonly ModelContract Contract = new(
        "box", "image", 256, 256, "NCHW", "RGB", [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], [], "keypoints", "scores");

    [Fact]
    public void Fills_normalised_RGB_planes_centred_with_zero_padding()
    {
        using var tensor = new LetterboxTensor(Contract);
        using var frame = new Mat(480, 640, MatType.CV_8UC3, new Scalar(10, 120, 250));

        tensor.Fill(frame);

        // 640×480 → 256×192 content, 32 rows of padding above and below.
        Assert.Equal(new Rect(0, 32, 256, 192), tensor.Geometry.Content);
        var data = tensor.Value.GetTensorDataAsSpan<float>();
        const int plane = 256 * 256;
        float[] expected = [(250 / 255f - 0.485f) / 0.229f, (120 / 255f - 0.456f) / 0.224f, (10 / 255f - 0.406f) / 0.225f];
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(0f, data[(c * plane) + (10 * 256) + 100]);
            Assert.Equal(expected[c], data[(c * plane) + (128 * 256) + 100], 4);
            Assert.Equal(0f, data[(c * plane) + (250 * 256) + 100]);
        }
    }

    [Fact]
    public void Maps_normalised_model_coordinates_back_to_frame_pixels()
    {
        var letterbox = Letterbox.For(640, 480, 256, 256);

        // The centre of the input is the centre of the frame; the content's top-left corner is the frame's.
        var centre = letterbox.ToImage(0.5f, 0.5f);
        var corner = letterbox.ToImage(0f, 32f / 256);

        Assert.Equal(319.5, centre.X, 6);
        Assert.Equal(239.5, centre.Y, 6);
        Assert.Equal(-0.5, corner.X, 6);
        Assert.Equal(-0.5, corner.Y, 6);
    }
}
