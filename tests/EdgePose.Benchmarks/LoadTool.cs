using System.Diagnostics;
using EdgePose.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgePose.Benchmarks;

/// <summary>Load against a running daemon over loopback: GetLatestPose round trips under concurrency, and concurrent streams.</summary>
internal static class LoadTool
{
    public static async Task<int> LatestPoseAsync(string target, IReadOnlyList<int> concurrencies, double seconds, TextWriter output)
    {
        using var channel = GrpcChannel.ForAddress($"http://{target}");
        var client = new PoseService.PoseServiceClient(channel);
        await client.GetLatestPoseAsync(new GetLatestPoseRequest());
        output.WriteLine($"GetLatestPose round trip against {target}, {seconds} s per level, {Environment.ProcessorCount} cores shared with the daemon");
        foreach (var clients in concurrencies)
        {
            var samples = new List<double>[clients];
            using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
            {
                samples[i] = [];
                while (!window.IsCancellationRequested)
                {
                    var watch = Stopwatch.StartNew();
                    await client.GetLatestPoseAsync(new GetLatestPoseRequest());
                    samples[i].Add(watch.Elapsed.TotalSeconds);
                }
            }));
            var all = samples.SelectMany(s => s).ToList();
            output.WriteLine($"  {clients,3} clients: {Stats.Milliseconds(all)}  {all.Count / seconds:0} calls/s");
        }

        return 0;
    }

    /// <summary>For each client count: did every stream receive every published result (consecutive frame sequences)?</summary>
    public static async Task<int> StreamsAsync(string target, IReadOnlyList<int> clientCounts, double seconds, TextWriter output)
    {
        using var channel = GrpcChannel.ForAddress($"http://{target}");
        var client = new PoseService.PoseServiceClient(channel);
        output.WriteLine($"StreamPoses against {target}, {seconds} s per level");
        var best = 0;
        foreach (var count in clientCounts)
        {
            var before = await client.GetStatusAsync(new GetStatusRequest());
            var gaps = new long[count];
            var received = new long[count];
            using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                using var call = client.StreamPoses(new StreamPosesRequest(), cancellationToken: window.Token);
                long last = -1;
                try
                {
                    while (await call.ResponseStream.MoveNext(window.Token))
                    {
                        var sequence = call.ResponseStream.Current.FrameSequence;
                        if (last >= 0 && sequence != last + 1)
                        {
                            gaps[i] += sequence - last - 1;
                        }

                        last = sequence;
                        received[i]++;
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
                {
                }
            }));
            var after = await client.GetStatusAsync(new GetStatusRequest());
            var published = after.FramesProcessed - before.FramesProcessed;
            var skipped = gaps.Sum();
            output.WriteLine($"  {count,3} streams: pipeline published {published / seconds:0.0}/s, each stream received {received.Average() / seconds:0.0}/s, skipped {skipped} results in total");
            if (skipped == 0)
            {
                best = count;
            }
        }

        output.WriteLine($"  most concurrent streams served every result: {best}");
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
