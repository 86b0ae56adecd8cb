using System.Globalization;
using EdgePose.Runtime.Tests.Inference;

namespace EdgePose.Runtime.Tests.Capture;

/// <summary>Video files and image folders written here with OpenCV, read through the hosted capture service.</summary>
public sealed class FileSourceCaptureTests : IDisposable
{
    private const int VideoFrames = 20;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Video_frames_arrive_in_order_with_rising_sequence_and_time_and_the_video_loops()
    {
        var video = WriteVideo();
        await using var host = CaptureHost.Create(Settings(("Source", "Video"), ("VideoPath", video), ("ChannelCapacity", "64")));
        await host.StartAsync();

        var frames = await ReadFramesAsync(host, 45);

        AssertInOrder(frames, sequence => (int)((sequence - 1) % VideoFrames));
        Assert.Contains(frames, f => f.Sequence > VideoFrames);
        var status = host.Monitor.Status;
        Assert.True(status.Connected);
        Assert.Null(status.Error);
        // Wrapped by rewinding, not by failing and reopening.
        Assert.Equal(0, status.Reconnects);
        Assert.StartsWith("video ", status.Description, StringComparison.Ordinal);
        Assert.True(host.Metric("edgepose_frames_captured_total") >= 45);
        Assert.Equal(1, host.Metric("edgepose_camera_connected"));
    }

    [Fact]
    public async Task A_video_without_loop_ends_once_and_stopping_completes_the_channel()
    {
        var video = WriteVideo();
        await using var host = CaptureHost.Create(Settings(("Source", "Video"), ("VideoPath", video), ("Loop", "false"), ("ChannelCapacity", "64")));
        await host.StartAsync();

        await Poll.UntilAsync(() => host.Monitor.Status.Error == "source ended", "the source to end");
        var status = host.Monitor.Status;
        Assert.False(status.Connected);
        Assert.Equal(VideoFrames, status.FramesCaptured);
        Assert.NotNull(status.DisconnectedSince);
        Assert.Equal(0, host.Metric("edgepose_camera_connected"));

        // The end of the file does not discard what the pipeline has yet to read.
        var frames = await ReadFramesAsync(host, VideoFrames - 1);
        AssertInOrder(frames, sequence => (int)(sequence - 1));
        Assert.True(host.Channel.Reader.TryPeek(out var last));
        Assert.Equal(VideoFrames, last.Sequence);

        // Stopping frees the frame nobody read, and the channel completes.
        await host.Host.StopAsync();
        Assert.True(last.Image.IsDisposed);
        Assert.False(host.Channel.Reader.TryRead(out _));
        await host.Channel.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_image_folder_is_read_in_name_order_skipping_an_unreadable_file_and_loops()
    {
        WriteImageFolder();
        await using var host = CaptureHost.Create(Settings(("Source", "Images"), ("ImagesDirectory", _directory.Path), ("ChannelCapacity", "64")));
        await host.StartAsync();

        var frames = await ReadFramesAsync(host, 10);

        int[] readable = [0, 1, 3, 4];
        AssertInOrder(frames, sequence => readable[(sequence - 1) % readable.Length]);
        Assert.True(host.Monitor.Status.Connected);
    }

    [Fact]
    public async Task An_image_folder_without_loop_ends_after_its_readable_images()
    {
        WriteImageFolder();
        await using var host = CaptureHost.Create(Settings(("Source", "Images"), ("ImagesDirectory", _directory.Path), ("Loop", "false")));
        await host.StartAsync();

        await Poll.UntilAsync(() => host.Monitor.Status.Error == "source ended", "the folder to end");

        Assert.Equal(4, host.Monitor.Status.FramesCaptured);
    }

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] settings)
    {
        var dictionary = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        dictionary["FramesPerSecond"] = "200";
        return dictionary;
    }

    private string WriteVideo()
    {
        var path = Path.Combine(_directory.Path, "clip.avi");
        // 200 fps keeps the paced replay of 20 frames at a tenth of a second.
        IndexedImages.WriteVideo(path, VideoFrames, framesPerSecond: 200);
        return path;
    }

    /// <summary>Images 0-4 written in reverse order, 2 corrupt, plus a file that is not an image.</summary>
    private void WriteImageFolder()
    {
        for (var i = 4; i >= 0; i--)
        {
            var path = Path.Combine(_directory.Path, $"frame_{i.ToString("000", CultureInfo.InvariantCulture)}.png");
            if (i == 2)
            {
                File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5]);
                continue;
            }

            using var image = IndexedImages.Create(i);
            OpenCvSharp.Cv2.ImWrite(path, image);
        }

        File.WriteAllText(Path.Combine(_directory.Path, "notes.txt"), "not an image");
    }

    private static async Task<List<Runtime.Capture.Frame>> ReadFramesAsync(CaptureHost host, int count)
    {
        var frames = new List<Runtime.Capture.Frame>();
        while (frames.Count < count)
        {
            frames.Add(await host.ReadFrameAsync());
        }

        return frames;
    }

    /// <summary>
    /// Sequences and capture times rise, and each image is the one expected at its sequence number. Checking by
    /// sequence rather than by arrival keeps the test valid if a frame was dropped on a busy machine.
    /// </summary>
    private static void AssertInOrder(List<Runtime.Capture.Frame> frames, Func<long, int> expectedIndex)
    {
        try
        {
            for (var i = 0; i < frames.Count; i++)
            {
                Assert.Equal(expectedIndex(frames[i].Sequence), IndexedImages.Decode(frames[i].Image));
                Assert.Equal(IndexedImages.Size, frames[i].Image.Size());
                if (i > 0)
                {
                    Assert.True(frames[i].Sequence > frames[i - 1].Sequence);
                    Assert.True(frames[i].CaptureTime > frames[i - 1].CaptureTime);
                }
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
    }
}
