using System.Buffers.Binary;
using EdgePose.V1;
using Google.Protobuf;
using Grpc.Core;
using OpenCvSharp;

namespace EdgePose.Daemon.Tests.Grpc;

/// <summary>EstimatePose's admission control through the real daemon and a real gRPC channel.</summary>
public sealed class EstimateAdmissionTests
{
    [Fact]
    public async Task An_image_over_the_pixel_budget_is_refused_from_its_header_before_decoding()
    {
        await using var daemon = await RunningDaemon.StartAsync();

        // Only a PNG header claiming 8192x8192: decoding would fail (INVALID_ARGUMENT), so RESOURCE_EXHAUSTED proves it never started.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await daemon.Poses.EstimatePoseAsync(new EstimatePoseRequest { Image = PngHeader(8192, 8192) }));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("EdgePose:Grpc:EstimatePixelBudget", ex.Status.Detail);
        Assert.Contains("67108864", ex.Status.Detail);
        var small = await Assert.ThrowsAsync<RpcException>(async () =>
            await daemon.Poses.EstimatePoseAsync(new EstimatePoseRequest { Image = PngHeader(640, 480) }));
        Assert.Equal(StatusCode.InvalidArgument, small.StatusCode);
    }

    [Fact]
    public async Task A_call_over_the_concurrency_limit_is_refused_at_once_and_the_slot_comes_back()
    {
        await using var daemon = await RunningDaemon.StartAsync(new Dictionary<string, string?>
        {
            ["EdgePose:Grpc:MaxConcurrentEstimates"] = "1",
            ["EdgePose:Grpc:EstimatePixelBudget"] = "100000000",
        });
        var large = LargeImage();

        // While the large image is being worked on, a second call is refused before its (undecodable) image is looked at.
        // A probe can take the one slot just as the large image arrives, which then is the one refused; or the large image
        // can be answered before any probe arrives on a fast machine: either way it is sent again.
        RpcException? refused = null;
        EstimatePoseResponse? answer = null;
        for (var attempt = 0; attempt < 10 && (answer is null || refused is null); attempt++)
        {
            var slow = daemon.Poses.EstimatePoseAsync(new EstimatePoseRequest { Image = large }).ResponseAsync;
            while (!slow.IsCompleted)
            {
                var probe = await Assert.ThrowsAsync<RpcException>(async () =>
                    await daemon.Poses.EstimatePoseAsync(new EstimatePoseRequest { Image = PngHeader(16, 16) }));
                refused ??= probe.StatusCode == StatusCode.ResourceExhausted ? probe : null;
            }

            try
            {
                answer = await slow;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
            }
        }

        Assert.NotNull(refused);
        Assert.Contains("EdgePose:Grpc:MaxConcurrentEstimates", refused.Status.Detail);
        Assert.NotNull(answer?.Result);
        var after = await Assert.ThrowsAsync<RpcException>(async () =>
            await daemon.Poses.EstimatePoseAsync(new EstimatePoseRequest { Image = PngHeader(16, 16) }));
        Assert.Equal(StatusCode.InvalidArgument, after.StatusCode);
    }

    [Fact]
    public async Task Setting_a_limit_out_of_range_stops_the_start_naming_it()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await RunningDaemon.StartAsync(new Dictionary<string, string?> { ["EdgePose:Grpc:MaxConcurrentEstimates"] = "0" }));

        Assert.Contains("EdgePose:Grpc:MaxConcurrentEstimates", ex.Message);
    }

    /// <summary>The first 24 bytes of a PNG (signature, IHDR length, type, width, height): enough for the header, nothing to decode.</summary>
    internal static ByteString PngHeader(int width, int height)
    {
        var bytes = new byte[24];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        return ByteString.CopyFrom(bytes);
    }

    /// <summary>An image full of square contours (marker candidates), so the marker search takes a while; it compresses well.</summary>
    internal static ByteString LargeImage(int width = 4096, int height = 3072)
    {
        using var image = new Mat(height, width, MatType.CV_8UC3, Scalar.White);
        var random = new Random(7);
        for (var i = 0; i < 4000; i++)
        {
            var side = random.Next(12, 60);
            Cv2.Rectangle(image, new Rect(random.Next(width - side), random.Next(height - side), side, side), Scalar.All(random.Next(0, 120)), -1);
        }

        Cv2.ImEncode(".png", image, out var bytes);
        return ByteString.CopyFrom(bytes);
    }
}
