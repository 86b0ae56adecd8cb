using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>The images of a folder in ordinal file-name order, replayed at FramesPerSecond.</summary>
internal sealed class ImageFolderSource(string directory, bool loop, double framesPerSecond, TimeProvider timeProvider, ILogger logger)
    : IFrameSource
{
    private static readonly ImmutableHashSet<string> s_extensions = ImmutableHashSet.Create(
        StringComparer.OrdinalIgnoreCase, ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pnm");

    private ImmutableArray<string> _files = [];
    private FramePacer? _pacer;
    private int _next;

    public string Description { get; private set; } = $"images {directory}";

    public double NominalFramesPerSecond => framesPerSecond;

    /// <summary>The folder's image files in ordinal order: what `ls` shows for zero-padded names, whatever the machine's culture.</summary>
    public static ImmutableArray<string> ListImages(string directory) =>
        [.. Directory.EnumerateFiles(directory).Where(f => s_extensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal)];

    public void Open()
    {
        if (!Directory.Exists(directory))
        {
            throw new CaptureUnavailableException($"Image folder '{directory}' does not exist (EdgePose:Capture:ImagesDirectory).");
        }

        _files = ListImages(directory);
        if (_files.IsEmpty)
        {
            throw new CaptureUnavailableException(
                $"Image folder '{directory}' has no images ({string.Join(' ', s_extensions.Order(StringComparer.Ordinal))}) (EdgePose:Capture:ImagesDirectory).");
        }

        _next = 0;
        _pacer = new FramePacer(framesPerSecond, timeProvider);
        Description = $"images {directory} ({_files.Length} files)@{framesPerSecond:0.##}{(loop ? " loop" : "")}";
    }

    public ReadOutcome Read(Mat destination, CancellationToken cancellationToken)
    {
        var pacer = _pacer ?? throw new InvalidOperationException("Open the image source before reading from it.");
        // One pass over the list at most: a folder whose images are all unreadable has failed rather than looping forever.
        for (var attempts = 0; attempts < _files.Length; attempts++)
        {
            if (_next == _files.Length)
            {
                if (!loop)
                {
                    return ReadOutcome.Ended;
                }

                _next = 0;
            }

            var path = _files[_next++];
            using (var image = Cv2.ImRead(path, ImreadModes.Color))
            {
                if (image.Empty())
                {
                    logger.ImageSkipped(path);
                    continue;
                }

                image.CopyTo(destination);
            }

            pacer.WaitForSlot(cancellationToken);
            return ReadOutcome.Frame;
        }

        return ReadOutcome.Failed;
    }

    public void Dispose()
    {
    }
}
