using EdgePose.Runtime.Poses;
using OpenCvSharp;

namespace EdgePose.Runtime.Pipeline;

/// <summary>
/// A latest-value slot through which the live loop hands a frame and its result to viewers (the live view) without ever
/// waiting on them: a viewer asks for a frame, the loop copies its next frame in once and moves on, and the viewer draws and
/// encodes its own copy on its own thread. With no viewer asking, the loop's cost is one volatile read per frame.
/// </summary>
public sealed class LiveFrameTap
{
    private int _requested;
    private Slot? _latest;
    private TaskCompletionSource _published = NewSignal();

    /// <summary>Sequence of the newest frame in the slot; -1 before the first.</summary>
    public long LatestSequence => Volatile.Read(ref _latest)?.Result.FrameSequence ?? -1;

    /// <summary>Viewer side: asks the loop to copy its next frame into the slot.</summary>
    public void Request() => Volatile.Write(ref _requested, 1);

    /// <summary>Loop side: copies <paramref name="image"/> in only when a viewer asked since the last copy.</summary>
    public void Offer(Mat image, PoseResult result)
    {
        if (Volatile.Read(ref _requested) == 0 || Interlocked.Exchange(ref _requested, 0) == 0)
        {
            return;
        }

        Interlocked.Exchange(ref _latest, new Slot(image.Clone(), result))?.Release();
        Interlocked.Exchange(ref _published, NewSignal()).TrySetResult();
    }

    /// <summary>Viewer side: waits until the slot holds a frame newer than <paramref name="afterSequence"/>, or the timeout passes.</summary>
    public async Task WaitForNewerAsync(long afterSequence, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var signal = Volatile.Read(ref _published).Task;
        if (LatestSequence > afterSequence)
        {
            return;
        }

        try
        {
            await signal.WaitAsync(timeout, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // No new frame (camera lost, loop stalled): the viewer shows the newest it has with the current status.
        }
    }

    /// <summary>Viewer side: a private copy of the newest frame (the caller owns and disposes it), or null before the first.</summary>
    public Mat? CopyLatest(out PoseResult? result)
    {
        while (Volatile.Read(ref _latest) is { } slot)
        {
            if (slot.TryAcquire())
            {
                try
                {
                    result = slot.Result;
                    return slot.Image.Clone();
                }
                finally
                {
                    slot.Release();
                }
            }
        }

        result = null;
        return null;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Reference-counted so the loop can replace a frame while a viewer is still copying it.</summary>
    private sealed class Slot(Mat image, PoseResult result)
    {
        private int _references = 1;

        public Mat Image { get; } = image;

        public PoseResult Result { get; } = result;

        public bool TryAcquire()
        {
            var count = Volatile.Read(ref _references);
            while (count > 0)
            {
                var seen = Interlocked.CompareExchange(ref _references, count + 1, count);
                if (seen == count)
                {
                    return true;
                }

                count = seen;
            }

            return false;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                Image.Dispose();
            }
        }
    }
}
