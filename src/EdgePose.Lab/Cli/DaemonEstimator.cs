using System.Diagnostics;
using EdgePose.Daemon.Grpc;
using EdgePose.Lab.Evaluation;
using EdgePose.Runtime.Metrics;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using Grpc.Net.Client;

namespace EdgePose.Lab.Cli;

/// <summary>
/// A running daemon as an estimator: each image file's bytes and its intrinsics go through EstimatePose, so what is
/// measured includes serving (transfer, decode, gRPC); end-to-end latency is the client's round trip. Reported poses are
/// turned back into T_camera_object with this machine's workcell configuration, which must match the daemon's.
/// </summary>
internal sealed class DaemonEstimator : IEvaluatedEstimator, IDisposable
{
    public const string EstimatorName = "via";

    private readonly GrpcChannel _channel;
    private readonly V1.PoseService.PoseServiceClient _client;
    private readonly Workcell _workcell;

    private DaemonEstimator(GrpcChannel channel, Workcell workcell, string description)
    {
        _channel = channel;
        _client = new V1.PoseService.PoseServiceClient(channel);
        _workcell = workcell;
        Description = description;
    }

    public string Name => EstimatorName;

    public string Description { get; }

    /// <summary>Connects and asks GetStatus, so an unreachable daemon is reported before any frame is sent.</summary>
    public static async Task<DaemonEstimator> ConnectAsync(Uri address, Workcell workcell, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress(address);
        try
        {
            var status = await new V1.PoseService.PoseServiceClient(channel).GetStatusAsync(
                new V1.GetStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
            var model = status.Model.Path.Length > 0 ? $"model {status.Model.Path} ({status.Model.State})" : $"model {status.Model.State}";
            return new DaemonEstimator(channel, workcell, $"daemon {address.Authority}: {status.FallbackPolicy}, {model}, EstimatePose over gRPC");
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public async Task<FrameAnswer> EstimateAsync(EvaluationFrame frame, CancellationToken cancellationToken)
    {
        var k = frame.Camera;
        var request = new V1.EstimatePoseRequest
        {
            Image = Google.Protobuf.ByteString.CopyFrom(await File.ReadAllBytesAsync(frame.Frame.RgbPath, cancellationToken)),
            Intrinsics = new V1.CameraIntrinsics { Fx = k.Fx, Fy = k.Fy, Cx = k.Cx, Cy = k.Cy },
        };
        var start = Stopwatch.GetTimestamp();
        var response = await _client.EstimatePoseAsync(request, cancellationToken: cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var latencies = response.Result.Latencies;
        var objects = response.Result.Poses.Select(p => new ObjectAnswer(
            p.ObjectId,
            p.Found && _workcell.FindObject(p.ObjectId) is { } target ? PoseReporting.ToCameraObject(ProtoMapping.FromProto(p), target, _workcell) : null,
            p.Confidence,
            PoseMetrics.Label(ProtoMapping.FromProto(p.Source)),
            PoseMetrics.Label(ProtoMapping.FromProto(p.FallbackReason)))).ToArray();
        return new FrameAnswer(
            objects,
            new FrameLatency(
                elapsed.TotalSeconds,
                Seconds(latencies?.Preprocess),
                Seconds(latencies?.Inference),
                Seconds(latencies?.Pnp),
                Seconds(latencies?.Baseline)));
    }

    public void Dispose() => _channel.Dispose();

    private static double Seconds(Google.Protobuf.WellKnownTypes.Duration? duration) => duration?.ToTimeSpan().TotalSeconds ?? 0;
}
