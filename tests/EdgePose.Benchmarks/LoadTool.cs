using System.Diagnostics;
using System.Globalization;
using EdgePose.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgePose.Benchmarks;

/// <summary>Load against a running daemon over loopback: GetLatestPose round trips under concurrency, and concurrent streams.</summary>
internal static class LoadTool
{
    /// <summary>
    /// Back to back (closed loop), N clients measure the daemon's throughput: each waits for the others' calls queued before
    /// its own, so the latency grows with N whatever the daemon does. At a fixed rate per client (open loop, like
    /// controllers polling at their control rate) the calls in flight at a stall each show it, while a client's own timer
    /// (which wakes a little late) does not count: latency is from send to answer.
    /// </summary>
    public static async Task<int> LatestPoseAsync(string target, IReadOnlyList<int> concurrencies, double seconds, double? rateHz, TextWriter output)
    {
        if (rateHz is <= 0)
        {
            output.WriteLine($"--rate-hz must be positive, not {rateHz}");
            return 2;
        }

        using (var probe = GrpcChannel.ForAddress($"http://{target}"))
        {
            await new PoseService.PoseServiceClient(probe).GetLatestPoseAsync(new GetLatestPoseRequest());
        }

        // Seconds between one client's calls; 0: back to back.
        var period = rateHz is { } rate ? 1 / rate : 0;
        var pacing = rateHz is { } hz ? $"each client at {hz} Hz (open loop)" : "back to back (closed loop)";
        output.WriteLine($"GetLatestPose round trip against {target}, {seconds} s per level, {pacing}, {Environment.ProcessorCount} cores visible");
        foreach (var clients in concurrencies)
        {
            var samples = new List<double>[clients];
            using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
            {
                // A connection each, as separate controllers would have: one HTTP/2 connection's frames are read in order.
                using var own = GrpcChannel.ForAddress($"http://{target}");
                var client = new PoseService.PoseServiceClient(own);
                await client.GetLatestPoseAsync(new GetLatestPoseRequest());
                samples[i] = [];
                // Paced clients start spread over one period, as independent controllers would.
                var next = Stopwatch.GetTimestamp() + (long)(i * period / clients * Stopwatch.Frequency);
                while (!window.IsCancellationRequested)
                {
                    if (period > 0)
                    {
                        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                        if (wait > TimeSpan.Zero)
                        {
                            await Task.Delay(wait, CancellationToken.None);
                        }

                        next += (long)(period * Stopwatch.Frequency);
                    }

                    var sent = Stopwatch.GetTimestamp();
                    await client.GetLatestPoseAsync(new GetLatestPoseRequest());
                    samples[i].Add(Stopwatch.GetElapsedTime(sent).TotalSeconds);
                }
            }));
            var all = samples.SelectMany(s => s).ToList();
            output.WriteLine($"  {clients,3} clients: {Stats.Milliseconds(all)}  {all.Count / seconds:0} calls/s");
        }

        return 0;
    }

    /// <summary>
    /// For each client count: did every stream receive every result the pipeline published in the window? (Frame sequence
    /// numbers have gaps of their own when the camera outpaces the pipeline, so results are counted, not sequences.)
    /// </summary>
    public static async Task<int> StreamsAsync(string target, IReadOnlyList<int> clientCounts, double seconds, TextWriter output)
    {
        // Kestrel allows 100 streams per HTTP/2 connection; more clients than that need more connections, as separate clients would have.
        using var channel = GrpcChannel.ForAddress(
            $"http://{target}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
        var client = new PoseService.PoseServiceClient(channel);
        output.WriteLine($"StreamPoses against {target}, {seconds} s per level");
        var best = 0;
        foreach (var count in clientCounts)
        {
            var before = await client.GetStatusAsync(new GetStatusRequest());
            var received = new long[count];
            using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                using var call = client.StreamPoses(new StreamPosesRequest(), cancellationToken: window.Token);
                try
                {
                    while (await call.ResponseStream.MoveNext(window.Token))
                    {
                        received[i]++;
                    }
                }
                catch (RpcException) when (window.IsCancellationRequested)
                {
                }
            }));
            var after = await client.GetStatusAsync(new GetStatusRequest());
            var published = after.FramesProcessed - before.FramesProcessed;
            // Two results of slack: the window's edges and the status calls are not aligned with the streams.
            var missed = received.Sum(r => Math.Max(0, published - r - 2));
            output.WriteLine(
                $"  {count,3} streams: pipeline published {published / seconds:0.0}/s, streams received {received.Min() / seconds:0.0}-{received.Max() / seconds:0.0}/s, missed {missed} results in total");
            if (missed == 0)
            {
                best = count;
            }
        }

        output.WriteLine($"  most concurrent streams served every result: {best}");
        return 0;
    }

    /// <summary>
    /// The live result's age as one StreamPoses client sees it from a process of its own, as a grasp controller would: for
    /// each result, now and its publish time, each less its capture time (the daemon's clock is this machine's). Prints
    /// "streaming" once the first result has arrived, so a caller can start its load then; with <paramref name="csvPath"/>,
    /// writes every result's two ages (ms) there.
    /// </summary>
    public static async Task<int> LiveAgesAsync(string target, double seconds, string? csvPath, TextWriter output)
    {
        using var channel = GrpcChannel.ForAddress($"http://{target}");
        var client = new PoseService.PoseServiceClient(channel);
        var ages = new List<(double Received, double Published)>();
        using var call = client.StreamPoses(new StreamPosesRequest());
        if (!await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            output.WriteLine($"the stream from {target} ended before its first result");
            return 1;
        }

        output.WriteLine("streaming");
        output.Flush();
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await call.ResponseStream.MoveNext(window.Token))
            {
                var result = call.ResponseStream.Current;
                var captured = result.CaptureTime.ToDateTimeOffset();
                ages.Add(((DateTimeOffset.UtcNow - captured).TotalMilliseconds, (result.PublishTime.ToDateTimeOffset() - captured).TotalMilliseconds));
            }
        }
        catch (RpcException) when (window.IsCancellationRequested)
        {
        }

        if (csvPath is not null)
        {
            await File.WriteAllLinesAsync(
                csvPath, ages.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Received:R},{a.Published:R}")).Prepend("received_ms,published_ms"));
        }

        output.WriteLine($"live result age over {ages.Count} results, as received: {Stats.Milliseconds([.. ages.Select(a => a.Received / 1000)])}");
        output.WriteLine($"live result age over {ages.Count} results, as published: {Stats.Milliseconds([.. ages.Select(a => a.Published / 1000)])}");
        return 0;
    }

    /// <summary>Resident memory of a process, sampled over time (VmRSS from /proc).</summary>
    public static async Task<int> ResidentMemoryAsync(int pid, double minutes, TextWriter output)
    {
        var end = DateTime.UtcNow.AddMinutes(minutes);
        while (true)
        {
            var rss = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            output.WriteLine($"  {DateTime.UtcNow:HH:mm:ss} pid {pid} {rss}");
            if (DateTime.UtcNow >= end)
            {
                return 0;
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, minutes * 6)));
        }
    }
}
