using EdgePose.Runtime.Metrics;
using EdgePose.Runtime.Pipeline;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Prometheus;

namespace EdgePose.Daemon.Metrics;

/// <summary>What only the service layer knows: gRPC calls and the age of the newest result at scrape time.</summary>
internal sealed class ServiceMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _requestSeconds;

    public ServiceMetrics(PoseMetrics metrics, IPoseResultStore store, TimeProvider timeProvider)
    {
        var factory = metrics.Factory;
        _requests = factory.CreateCounter(
            "edgepose_grpc_requests_total", "gRPC calls by method and status code.",
            new CounterConfiguration { LabelNames = ["method", "code"] });
        _requestSeconds = factory.CreateHistogram(
            "edgepose_grpc_request_duration_seconds", "gRPC unary call duration (streams: until they end).",
            new HistogramConfiguration { LabelNames = ["method"], Buckets = PoseMetrics.LatencyBucketsSeconds });
        var age = factory.CreateGauge(
            "edgepose_newest_result_age_seconds", "Age of the newest published result at scrape time (capture to now); absent before the first result.");
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            if (store.Current.Latest is { } latest)
            {
                age.Set(latest.AgeAt(timeProvider).TotalSeconds);
            }
        });
    }

    public void Observe(string method, StatusCode code, TimeSpan duration)
    {
        _requests.WithLabels(method, code.ToString()).Inc();
        _requestSeconds.WithLabels(method).Observe(duration.TotalSeconds);
    }
}

/// <summary>Counts every call by method and final status code.</summary>
internal sealed class GrpcMetricsInterceptor(ServiceMetrics metrics, TimeProvider timeProvider) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        ObserveAsync(context, () => continuation(request, context));

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        ObserveAsync(context, async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        });

    private async Task<T> ObserveAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        var start = timeProvider.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            return await call();
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        catch
        {
            code = context.CancellationToken.IsCancellationRequested ? StatusCode.Cancelled : StatusCode.Internal;
            throw;
        }
        finally
        {
            // "/edgepose.v1.PoseService/GetLatestPose" → "GetLatestPose": a bounded label set.
            metrics.Observe(context.Method[(context.Method.LastIndexOf('/') + 1)..], code, timeProvider.GetElapsedTime(start));
        }
    }
}
