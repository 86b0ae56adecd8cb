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
    [FromKeyedServices(PoseEstimators.OnDemand)] IPoseEstimator estimator,
    EstimateAdmission admission,
    Workcell workcell,
    ICaptureMonitor capture,
    IModelHost modelHost,
    IOptions<GrpcOptions> options,
    IOptions<PipelineOptions> pipelineOptions,
    DaemonInfo daemon,
    TimeProvider timeProvider) : V1.PoseService.PoseServiceBase
{
    /// <summary>One result per 1000 s; lower rates are typos (and 1/rate overflows a TimeSpan long before 1e-300).</summary>
    private const double MinRateHz = 0.001;

    /// <summary>Longest object_id looked up; configured ids are short names, and a huge one must not be echoed back in full.</summary>
    private const int MaxObjectIdLength = 256;

    /// <summary>How much of a bad object_id an error message quotes.</summary>
    private const int EchoedObjectIdLength = 64;

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

        var age = latest.AgeAt(timeProvider);
        if (maxAge > TimeSpan.Zero && age > maxAge)
        {
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                $"Newest pose is {age.TotalSeconds:0.000} s old (frame {latest.FrameSequence}), older than max_age {maxAge.TotalSeconds:0.000} s; pipeline {snapshot.State.ToString().ToUpperInvariant()}{(snapshot.Reason is null ? "" : $" ({snapshot.Reason})")}."));
        }

        // Tracks are judged now, not at capture: a camera that stopped delivering leaves them to expire here.
        return Task.FromResult(new V1.GetLatestPoseResponse { Result = ProtoMapping.ToProto(latest, request.ObjectId, timeProvider, timeProvider.GetTimestamp()) });
    }

    public override async Task StreamPoses(V1.StreamPosesRequest request, IServerStreamWriter<V1.PoseResult> responseStream, ServerCallContext context)
    {
        RequireKnownObject(request.ObjectId);
        if (request.MaxRateHz != 0 && !(request.MaxRateHz >= MinRateHz && double.IsFinite(request.MaxRateHz)))
        {
            throw Invalid($"max_rate_hz must be 0 (every result) or a finite rate of at least {MinRateHz} Hz (got {request.MaxRateHz}).");
        }

        var minInterval = request.MaxRateHz > 0 ? TimeSpan.FromSeconds(1 / request.MaxRateHz) : TimeSpan.Zero;
        using var subscription = store.Subscribe();
        var lastSent = long.MinValue;
        long? lastSentAt = null;
        try
        {
            await foreach (var result in subscription.Results.ReadAllAsync(context.CancellationToken))
            {
                var now = timeProvider.GetTimestamp();
                if (result.FrameSequence <= lastSent || (lastSentAt is { } at && timeProvider.GetElapsedTime(at, now) < minInterval))
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

        // Admitted from the header alone: a call over a limit costs the daemon nothing but reading it.
        var (width, height) = ReadImageSize(request.Image.Span);
        using var ticket = admission.Admit((long)width * height);
        var cancellation = context.CancellationToken;
        try
        {
            cancellation.ThrowIfCancellationRequested();
            using var image = Decode(request.Image.Memory);
            var camera = request.Intrinsics is { } k ? FromProto(k, image.Width, image.Height) : workcell.Camera;
            cancellation.ThrowIfCancellationRequested();

            var start = timeProvider.GetTimestamp();
            var estimate = estimator.Estimate(image, camera, cancellation);
            var elapsed = timeProvider.GetElapsedTime(start);
            var now = timeProvider.GetUtcNow();
            var result = new PoseResult(
                0, now - elapsed, now, new StageTimings(TimeSpan.Zero, estimate.Preprocess, estimate.Inference, estimate.Pnp, estimate.Baseline, elapsed), estimate.Poses)
            {
                CaptureTimestamp = start,
            };
            var response = new V1.EstimatePoseResponse { Result = ProtoMapping.ToProto(result, request.ObjectId, timeProvider, start) };
            if (request.WantOverlay)
            {
                cancellation.ThrowIfCancellationRequested();
                response.OverlayJpeg = Google.Protobuf.ByteString.CopyFrom(DrawOverlay(image, camera.ScaledTo(image.Width, image.Height), estimate.Poses, request.ObjectId));
            }

            return Task.FromResult(response);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Stopped between stages: the deadline passed or the client went away, so the rest of the work is wasted.
            var expired = context.Deadline <= DateTime.UtcNow;
            throw new RpcException(new Status(
                expired ? StatusCode.DeadlineExceeded : StatusCode.Cancelled, expired ? "deadline passed during EstimatePose." : "EstimatePose cancelled."));
        }
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
            Uptime = Duration.FromTimeSpan(daemon.Uptime),
            FramesProcessed = snapshot.FramesProcessed,
            Capture = new V1.CaptureStatus
            {
                Source = camera.Description,
                Connected = camera.Connected,
                Error = camera.Error ?? "",
                FramesPerSecond = camera.FramesPerSecond,
                Reconnects = camera.Reconnects,
                FramesCaptured = camera.FramesCaptured,
                Synthetic = camera.Synthetic,
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

    /// <summary>A streamed result is judged at its own capture time: it is sent as it is published, so that is now.</summary>
    private V1.PoseResult Map(PoseResult result, string objectId)
    {
        if (objectId.Length > 0)
        {
            return ProtoMapping.ToProto(result, objectId, timeProvider, result.CaptureTimestamp);
        }

        var last = Volatile.Read(ref _lastMapped);
        if (last is null || !ReferenceEquals(last.Source, result))
        {
            last = new MappedResult(result, ProtoMapping.ToProto(result, objectId, timeProvider, result.CaptureTimestamp));
            Volatile.Write(ref _lastMapped, last);
        }

        return last.Message;
    }

    /// <summary>The size from the header, so a decompression bomb is refused before its pixels are allocated.</summary>
    private (int Width, int Height) ReadImageSize(ReadOnlySpan<byte> bytes)
    {
        if (!ImageHeader.TryReadSize(bytes, out var width, out var height))
        {
            throw Invalid("image is not a PNG or JPEG.");
        }

        if (width > _options.MaxImageSidePx || height > _options.MaxImageSidePx)
        {
            throw Invalid($"image is {width}x{height} px; the largest side accepted is {_options.MaxImageSidePx} px.");
        }

        return (width, height);
    }

    private static Mat Decode(ReadOnlyMemory<byte> bytes)
    {
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

        if (!CameraIntrinsics.IsSupportedDistortion(k.Distortion))
        {
            throw Invalid($"intrinsics distortion must have {CameraIntrinsics.SupportedDistortionCounts} finite coefficients (got {k.Distortion.Count}).");
        }

        return new CameraIntrinsics(k.Fx, k.Fy, k.Cx, k.Cy, [.. k.Distortion], width, height);
    }

    private byte[] DrawOverlay(Mat image, CameraIntrinsics camera, ImmutableArray<ObjectPose> poses, string objectFilter)
    {
        using var overlay = image.Clone();
        PoseOverlay.DrawPoses(overlay, camera, workcell, poses, objectFilter);
        Cv2.ImEncode(".jpg", overlay, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, _options.OverlayJpegQuality));
        return jpeg;
    }

    private void RequireKnownObject(string objectId)
    {
        if (objectId.Length > MaxObjectIdLength)
        {
            throw Invalid($"object_id is {objectId.Length} characters long, over the limit of {MaxObjectIdLength} ('{Truncated(objectId)}').");
        }

        if (objectId.Length > 0 && workcell.FindObject(objectId) is null)
        {
            throw Invalid($"unknown object_id '{Truncated(objectId)}'; configured: {string.Join(", ", workcell.Objects.Select(o => o.Id))}.");
        }
    }

    private static string Truncated(string text) => text.Length <= EchoedObjectIdLength ? text : $"{text[..EchoedObjectIdLength]}…";

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
