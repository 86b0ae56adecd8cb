using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace EdgePose.Daemon.Tests.Hosting;

public sealed class ConnectionDrainTests
{
    [Fact]
    public async Task A_call_whose_upload_stalls_holds_the_stop_only_for_the_drain_timeout()
    {
        await using var daemon = await RunningDaemon.StartAsync(new Dictionary<string, string?> { ["EdgePose:Grpc:ShutdownDrainTimeout"] = "00:00:00.500" });
        await daemon.WaitForFirstPoseAsync();
        using var stall = new CancellationTokenSource();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{daemon.GrpcPort}/edgepose.v1.PoseService/EstimatePose")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StalledGrpcMessage(stall.Token),
        };
        var call = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None);
        await RunningDaemon.WaitUntilAsync(() => Task.FromResult(StalledGrpcMessage.Sent), TimeSpan.FromSeconds(10), "the first bytes of the message");

        // Kestrel's graceful close waits for the stream to end, here until the host's 5 s shutdown timeout.
        var stopping = Stopwatch.StartNew();
        await daemon.App.StopAsync();
        stopping.Stop();

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(3), $"stop took {stopping.Elapsed.TotalSeconds:0.00} s with a stalled upload (drain timeout 0.5 s)");
        await stall.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => call);
    }

    /// <summary>A gRPC message frame that announces 1 000 bytes, sends 10 and then waits.</summary>
    private sealed class StalledGrpcMessage : HttpContent
    {
        private readonly CancellationToken _stall;

        public StalledGrpcMessage(CancellationToken stall)
        {
            _stall = stall;
            Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        }

        public static bool Sent { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(new byte[] { 0, 0, 0, 0x03, 0xE8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 });
            await stream.FlushAsync();
            Sent = true;
            await Task.Delay(Timeout.Infinite, _stall);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
