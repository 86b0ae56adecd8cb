using EdgePose.Runtime.Capture;
using OpenCvSharp;

namespace EdgePose.Lab.Calibration;

/// <summary>
/// Collects calibration views from a live source. A frame is kept when the board has been held still for
/// <see cref="StillFrames"/> frames (its corners stayed within <see cref="StillShiftPx"/>, mean, so the view is not
/// motion-blurred) and it is a new view: some corner sits at least <see cref="NewViewShiftPx"/> from where it was in every
/// view kept so far. Tilting matters as much as moving, and a tilt moves the corners less, hence the modest threshold.
/// </summary>
internal static class BoardViewCapture
{
    public const int StillFrames = 3;
    public const double StillShiftPx = 2;
    public const double NewViewShiftPx = 10;

    /// <summary>Saves up to <paramref name="views"/> views as view_NNN.png in <paramref name="folder"/>; stops early when the source ends or on cancellation (Ctrl+C).</summary>
    /// <returns>The number of views saved.</returns>
    public static int Run(IFrameSource source, CharucoBoardDetector detector, int views, string folder, TextWriter output, CancellationToken cancellationToken)
    {
        var kept = new List<BoardView>();
        BoardView? anchor = null;
        var stillFor = 0;
        using var frame = new Mat();
        var frames = 0;
        try
        {
            while (kept.Count < views && !cancellationToken.IsCancellationRequested)
            {
                var outcome = source.Read(frame, cancellationToken);
                if (outcome == ReadOutcome.Ended)
                {
                    break;
                }

                if (outcome == ReadOutcome.Failed)
                {
                    throw new CaptureUnavailableException($"{source.Description} stopped delivering frames after {frames}.");
                }

                frames++;
                var view = detector.Detect(frame);
                if (view is not null && anchor is not null && Shift(anchor, view).Mean <= StillShiftPx)
                {
                    stillFor++;
                }
                else
                {
                    (anchor, stillFor) = (view, view is null ? 0 : 1);
                }

                if (stillFor != StillFrames || kept.Any(k => Shift(k, view!).Max < NewViewShiftPx))
                {
                    continue;
                }

                Cv2.ImWrite(Path.Combine(folder, $"view_{kept.Count:D3}.png"), frame);
                kept.Add(view!);
                output.WriteLine($"view {kept.Count}/{views}: {view!.Ids.Length} corners (frame {frames})");
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C ends the capture; the views kept so far are calibrated.
        }

        return kept.Count;
    }

    /// <summary>Mean and largest movement of the corners both views share; views with no corner in common are as different as can be.</summary>
    private static (double Mean, double Max) Shift(BoardView a, BoardView b)
    {
        var before = a.Ids.Zip(a.ImagePoints).ToDictionary(p => p.First, p => p.Second);
        var shifts = b.Ids.Zip(b.ImagePoints)
            .Where(p => before.ContainsKey(p.First))
            .Select(p => Point2f.Distance(p.Second, before[p.First]))
            .ToArray();
        return shifts.Length == 0 ? (double.PositiveInfinity, double.PositiveInfinity) : (shifts.Average(), shifts.Max());
    }
}
