using OpenCvSharp;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// Where an image of one size lands in the model input: scaled to fit with its aspect kept, centred, the rest padded.
/// Normalised model coordinates run from 0 at the left/top edge of the input to 1 at its right/bottom edge.
/// </summary>
internal readonly record struct Letterbox(int InputWidth, int InputHeight, Rect Content, double ScaleX, double ScaleY)
{
    public static Letterbox For(int imageWidth, int imageHeight, int inputWidth, int inputHeight)
    {
        var scale = Math.Min((double)inputWidth / imageWidth, (double)inputHeight / imageHeight);
        var width = Math.Clamp((int)Math.Round(imageWidth * scale), 1, inputWidth);
        var height = Math.Clamp((int)Math.Round(imageHeight * scale), 1, inputHeight);
        var content = new Rect((inputWidth - width) / 2, (inputHeight - height) / 2, width, height);

        // The per-axis scale the resize really applied, so rounding the content size does not bias the inverse.
        return new Letterbox(inputWidth, inputHeight, content, (double)width / imageWidth, (double)height / imageHeight);
    }

    /// <summary>Normalised model coordinates to image pixels (OpenCV convention: pixel centres at integers).</summary>
    public Point2d ToImage(float u, float v) => new(
        (((u * InputWidth) - Content.X) / ScaleX) - 0.5,
        (((v * InputHeight) - Content.Y) / ScaleY) - 0.5);
}
