using System.Runtime.InteropServices;
using EdgePose.Core.Contract;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// The model's NCHW float input: one buffer on the pinned object heap, wrapped once by an <see cref="OrtValue"/> and by
/// per-channel Mats, refilled in place every frame so the hot path allocates no tensor memory. Not thread-safe.
/// </summary>
internal sealed class LetterboxTensor : IDisposable
{
    private readonly ModelContract _contract;
    private readonly float[] _buffer;
    private readonly Mat[] _planes;
    private readonly int[] _sourceChannel;
    private readonly double[] _alpha;
    private readonly double[] _beta;
    private readonly Mat _resized = new();
    private readonly Mat _channel = new();
    private Mat[] _content = [];

    public LetterboxTensor(ModelContract contract)
    {
        _contract = contract;
        var planeLength = contract.InputWidth * contract.InputHeight;

        // Pinned for good, so the Mats over its planes and ONNX Runtime see the same, unmoving memory.
        _buffer = GC.AllocateArray<float>(3 * planeLength, pinned: true);
        Value = OrtValue.CreateTensorValueFromMemory(_buffer, [1, 3, contract.InputHeight, contract.InputWidth]);
        _planes = new Mat[3];
        for (var c = 0; c < 3; c++)
        {
            _planes[c] = Mat.FromPixelData(
                contract.InputHeight, contract.InputWidth, MatType.CV_32FC1, Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, c * planeLength));
        }

        // Frames are BGR; tensor channel c reads BGR channel 2 − c for an RGB model.
        var rgb = contract.ColorOrder == "RGB";
        _sourceChannel = rgb ? [2, 1, 0] : [0, 1, 2];

        // (p / 255 − mean) / std as one affine map per channel, applied during the 8-bit → float conversion.
        _alpha = [.. Enumerable.Range(0, 3).Select(c => 1.0 / (255.0 * contract.Std[c]))];
        _beta = [.. Enumerable.Range(0, 3).Select(c => -contract.Mean[c] / (double)contract.Std[c])];
    }

    public OrtValue Value { get; }

    public Letterbox Geometry { get; private set; }

    /// <summary>Letterboxes a BGR 8-bit image into the buffer.</summary>
    public void Fill(Mat image)
    {
        if (image.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException($"Expected an 8-bit BGR image, got {image.Type()}.", nameof(image));
        }

        if (_content.Length == 0 || Geometry != Letterbox.For(image.Width, image.Height, _contract.InputWidth, _contract.InputHeight))
        {
            Relayout(image.Width, image.Height);
        }

        Cv2.Resize(image, _resized, Geometry.Content.Size, 0, 0, InterpolationFlags.Linear);
        for (var c = 0; c < 3; c++)
        {
            Cv2.ExtractChannel(_resized, _channel, _sourceChannel[c]);
            _channel.ConvertTo(_content[c], MatType.CV_32FC1, _alpha[c], _beta[c]);
        }
    }

    /// <summary>An all-padding input, for warm-up runs.</summary>
    public void Clear()
    {
        Array.Clear(_buffer);
        DisposeContent();
    }

    public void Dispose()
    {
        DisposeContent();
        foreach (var plane in _planes)
        {
            plane.Dispose();
        }

        _resized.Dispose();
        _channel.Dispose();
        Value.Dispose();
    }

    /// <summary>
    /// A new image size (in practice once per camera): padding is zero after normalisation and never rewritten,
    /// so the whole buffer is cleared here and each frame only writes the content rectangle.
    /// </summary>
    private void Relayout(int width, int height)
    {
        Geometry = Letterbox.For(width, height, _contract.InputWidth, _contract.InputHeight);
        Array.Clear(_buffer);
        DisposeContent();
        _content = [.. _planes.Select(p => p.SubMat(Geometry.Content))];
    }

    private void DisposeContent()
    {
        foreach (var content in _content)
        {
            content.Dispose();
        }

        _content = [];
    }
}
