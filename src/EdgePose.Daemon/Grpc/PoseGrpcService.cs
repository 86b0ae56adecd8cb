using System.Collections.Immutable;
using EdgePose.Core.Configuration;
using EdgePose.Daemon.Hosting;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Inference;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using EdgePose.Core.Poses;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace EdgePose.Daemon.Grpc;

internal sealed class PoseGrpcService(
    IPoseResultStore store,
    IPoseEstimator estimator,
    Workcell workcell,
    ICaptureMonitor capture,
    IModelHost modelHost,
    IOptions<GrpcOptions> options,
    IOptions<PipelineOptions> pipelineOptions,
    DaemonInfo daemon,
    TimeProvider timeProvider) : V1.PoseService.PoseServiceBase
{
    private readonly GrpcOptions _options = options.Value;

    // Every unfiltered stream sends the same message for a result: map it once, not once per client.
    private MappedResult? _lastMapped;

    private sealed record MappedResult(PoseResult Source, V1.PoseResult Message);

    public override Task<V1.GetLatestPoseResponse> GetLatestPose(V1.GetLatestPoseRequest request, ServerCallContext context)
    {
        RequireKnownObject(request.ObjectId);
        var maxAge = request.MaxAge?.ToTimeSpan() ?? TimeSpan.Zero;
        if (maxAge < TimeSpan.Zero)
        {
            throw Invalid($"max_age must not be negative (got {maxAge.TotalSeconds:0.###} s).");
        }

        var snapshot = store.Current;
        if (snapshot.Latest is not { } latest)
        {
            throw new RpcException(new Status(
                StatusCode.Unavailable, $"No pose yet: pipeline {snapshot.State.ToString().ToUpperInvariant()} ({snapshot.Reason ?? "starting"})."));
        }

        var age = latest.AgeAt(timeProvider.GetUtcNow());
        if (maxAge > TimeSpan.Zero && age > maxAge)
        {
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                $"Newest pose is {age.TotalSeconds:0.000} s old (frame {latest.FrameSequence}), older than max_age {maxAge.TotalSeconds:0.000} s; pipeline {snapshot.State.ToString().ToUpperInvariant()}{(snapshot.Reason is null ? "" : $" ({snapshot.Reason})")}."));
        }

        return Task.FromResult(new V1.GetLatestPoseResponse { Result = ProtoMapping.ToProto(latest, request.ObjectId) });
    }

    public override async Task StreamPoses(V1.StreamPosesRequest request, IServerStreamWriter<V1.PoseResult> responseStream, ServerCallContext context)
    {
        RequireKnownObject(request.ObjectId);
        if (request.MaxRateHz < 0 || double.IsNaN(request.MaxRateHz))
        {
            throw Invalid($"max_rate_hz must be 0 (every result) or positive (got {request.MaxRateHz}).");
        }

        var minInterval = request.MaxRateHz > 0 ? TimeSpan.FromSeconds(1 / request.MaxRateHz) : TimeSpan.Zero;
        using var subscription = store.Subscribe();
        var lastSent = long.MinValue;
        DateTimeOffset? lastSentAt = null;
        try
        {
            await foreach (var result in subscription.Results.ReadAllAsync(context.CancellationToken))
            {
                var now = timeProvider.GetUtcNow();
                if (result.FrameSequence <= lastSent || (lastSentAt is { } at && now - at < minInterval))
                {
                    continue;
                }

                await responseStream.WriteAsync(Map(result, request.ObjectId), context.CancellationToken);
                lastSent = result.FrameSequence;
                lastSentAt = now;
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away or its deadline passed: nothing to report back.
        }
    }

    public override Task<V1.EstimatePoseResponse> EstimatePose(V1.EstimatePoseRequest request, ServerCallContext context)
    {
        RequireKnownObject(request.ObjectId);
        if (request.Image.IsEmpty)
        {
            throw Invalid("image is empty: send PNG or JPEG bytes.");
        }

        using var image = Decode(request.Image.Memory);
        var camera = request.Intrinsics is { } k ? FromProto(k, image.Width, image.Height) : workcell.Camera;
        context.CancellationToken.ThrowIfCancellationRequested();

        var start = timeProvider.GetTimestamp();
        var estimate = estimator.Estimate(image, camera);
        var elapsed = timeProvider.GetElapsedTime(start);
        var now = timeProvider.GetUtcNow();
        var result = new PoseResult(
            0, now - elapsed, now, new StageTimings(TimeSpan.Zero, estimate.Preprocess, estimate.Inference, estimate.Pnp, estimate.Baseline, elapsed), estimate.Poses);
        var response = new V1.EstimatePoseResponse { Result = ProtoMapping.ToProto(result, request.ObjectId) };
        if (request.WantOverlay)
        {
            response.OverlayJpeg = Google.Protobuf.ByteString.CopyFrom(DrawOverlay(image, camera.ScaledTo(image.Width, image.Height), estimate.Poses, request.ObjectId));
        }

        return Task.FromResult(response);
    }

    public override Task<V1.GetStatusResponse> GetStatus(V1.GetStatusRequest request, ServerCallContext context)
    {
        var snapshot = store.Current;
        var camera = capture.Status;
        var model = modelHost.Current?.Info;
        var response = new V1.GetStatusResponse
        {
            Version = daemon.Version,
            PipelineState = snapshot.State.ToString().ToUpperInvariant(),
            PipelineReason = snapshot.Reason ?? "",
            FallbackPolicy = Choice.NameOf(pipelineOptions.Value.FallbackPolicy),
            Uptime = Duration.FromTimeSpan(timeProvider.GetUtcNow() - daemon.StartedAt),
            FramesProcessed = snapshot.FramesProcessed,
            Capture = new V1.CaptureStatus
            {
                Source = camera.Description,
                Connected = camera.Connected,
                Error = camera.Error ?? "",
                FramesPerSecond = camera.FramesPerSecond,
                Reconnects = camera.Reconnects,
                FramesCaptured = camera.FramesCaptured,
            },
            Model = new V1.ModelStatus
            {
                State = modelHost.State.ToString().ToUpperInvariant(),
                Error = modelHost.LastError ?? "",
                Path = model?.Path ?? "",
                Sha256 = model?.Sha256 ?? "",
                Version = model?.Version ?? "",
                ExecutionProvider = model?.ExecutionProvider ?? "",
                ObjectId = model?.Contract.ObjectId ?? "",
                InputWidth = model?.Contract.InputWidth ?? 0,
                InputHeight = model?.Contract.InputHeight ?? 0,
            },
        };
        foreach (var (source, count) in snapshot.PosesBySource)
        {
            response.PosesBySource[Runtime.Metrics.PoseMetrics.Label(source)] = count;
        }

        foreach (var (reason, count) in snapshot.FallbacksByReason)
        {
            response.FallbacksByReason[Runtime.Metrics.PoseMetrics.Label(reason)] = count;
        }

        return Task.FromResult(response);
    }

    private V1.PoseResult Map(PoseResult result, string objectId)
    {
        if (objectId.Length > 0)
        {
            return ProtoMapping.ToProto(result, objectId);
        }

        var last = Volatile.Read(ref _lastMapped);
        if (last is null || !ReferenceEquals(last.Source, result))
        {
            last = new MappedResult(result, ProtoMapping.ToProto(result, objectId));
            Volatile.Write(ref _lastMapped, last);
        }

        return last.Message;
    }

    private Mat Decode(ReadOnlyMemory<byte> bytes)
    {
        // Read the header first so a decompression bomb is refused before its pixels are allocated.
        if (!ImageHeader.TryReadSize(bytes.Span, out var width, out var height))
        {
            throw Invalid("image is not a PNG or JPEG.");
        }

        if (width > _options.MaxImageSidePx || height > _options.MaxImageSidePx)
        {
            throw Invalid($"image is {width}x{height} px; the largest side accepted is {_options.MaxImageSidePx} px.");
        }

        var image = Cv2.ImDecode(bytes.Span, ImreadModes.Color);
        if (image.Empty())
        {
            image.Dispose();
            throw Invalid("image could not be decoded (truncated or corrupt PNG/JPEG).");
        }

        return image;
    }

    private static CameraIntrinsics FromProto(V1.CameraIntrinsics k, int width, int height)
    {
        if (!(k.Fx > 0 && k.Fy > 0 && double.IsFinite(k.Fx) && double.IsFinite(k.Fy)))
        {
            throw Invalid($"intrinsics fx and fy must be positive (got fx={k.Fx}, fy={k.Fy}).");
        }

        if (!(k.Cx >= 0 && k.Cx < width && k.Cy >= 0 && k.Cy < height))
        {
            throw Invalid($"intrinsics principal point ({k.Cx}, {k.Cy}) lies outside the {width}x{height} image.");
        }

        if (k.Distortion.Count is not (0 or 4 or 5 or 8) || k.Distortion.Any(d => !double.IsFinite(d)))
        {
            throw Invalid($"intrinsics distortion must have 0, 4, 5 or 8 finite coefficients (got {k.Distortion.Count}).");
        }

        return new CameraIntrinsics(k.Fx, k.Fy, k.Cx, k.Cy, [.. k.Distortion], width, height);
    }

    private byte[] DrawOverlay(Mat image, CameraIntrinsics camera, ImmutableArray<ObjectPose> poses, string objectFilter)
    {
        using var overlay = image.Clone();
        var line = 0;
        foreach (var pose in poses)
        {
            if ((objectFilter.Length > 0 && pose.ObjectId != objectFilter) || workcell.FindObject(pose.ObjectId) is not { } target)
            {
                continue;
            }

            var color = pose.Source == PoseSource.Model ? Scalar.Yellow : Scalar.Cyan;
            if (pose.Estimate is { } estimate)
            {
                PoseOverlay.DrawBox(overlay, camera, target, PoseReporting.ToCameraObject(estimate.Pose, target, workcell), color);
            }

            PoseOverlay.DrawLabel(
                overlay,
                pose.Estimate is { } e ? $"{pose.ObjectId}: {pose.Source} conf {e.Confidence:0.00} reproj {e.ReprojectionErrorPx:0.0}px" : $"{pose.ObjectId}: not found ({pose.FallbackReason})",
                line++,
                color);
        }

        Cv2.ImEncode(".jpg", overlay, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, _options.OverlayJpegQuality));
        return jpeg;
    }

    private void RequireKnownObject(string objectId)
    {
        if (objectId.Length > 0 && workcell.FindObject(objectId) is null)
        {
            throw Invalid($"unknown object_id '{objectId}'; configured: {string.Join(", ", workcell.Objects.Select(o => o.Id))}.");
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
