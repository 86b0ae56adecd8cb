using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace EdgePose.Daemon.Grpc;

/// <summary>
/// PoseService's methods bound a second time, with marshallers that answer a request that is not a valid protobuf message
/// with INVALID_ARGUMENT. The generated ones throw InvalidProtocolBufferException before any handler or interceptor runs,
/// which gRPC reports as UNKNOWN ("Exception was thrown by handler"). These endpoints are ordered before the generated
/// ones (see <see cref="PreferStrictParsing"/>), which stay bound only so reflection still describes the service.
/// </summary>
internal sealed class StrictRequestParsing : IServiceMethodProvider<PoseGrpcService>
{
    private const string ServiceName = "edgepose.v1.PoseService";

    private static readonly StrictRequestParsing Marker = new();

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<PoseGrpcService> context)
    {
        context.AddUnaryMethod(Unary("GetLatestPose", V1.GetLatestPoseRequest.Parser, V1.GetLatestPoseResponse.Parser), [Marker], (s, r, c) => s.GetLatestPose(r, c));
        context.AddUnaryMethod(Unary("EstimatePose", V1.EstimatePoseRequest.Parser, V1.EstimatePoseResponse.Parser), [Marker], (s, r, c) => s.EstimatePose(r, c));
        context.AddUnaryMethod(Unary("GetStatus", V1.GetStatusRequest.Parser, V1.GetStatusResponse.Parser), [Marker], (s, r, c) => s.GetStatus(r, c));
        context.AddServerStreamingMethod(
            new Method<V1.StreamPosesRequest, V1.PoseResult>(MethodType.ServerStreaming, ServiceName, "StreamPoses", Marshaller(V1.StreamPosesRequest.Parser), Marshaller(V1.PoseResult.Parser)),
            [Marker],
            (s, r, stream, c) => s.StreamPoses(r, stream, c));
    }

    /// <summary>Endpoint convention: the strict endpoints win the route over the generated ones of the same name.</summary>
    public static void PreferStrictParsing(EndpointBuilder endpoint)
    {
        if (endpoint is RouteEndpointBuilder route && route.Metadata.Contains(Marker))
        {
            route.Order = -1;
        }
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> request, MessageParser<TResponse> response)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        new(MethodType.Unary, ServiceName, name, Marshaller(request), Marshaller(response));

    private static Marshaller<T> Marshaller<T>(MessageParser<T> parser)
        where T : IMessage<T> => new(
        (message, context) =>
        {
            context.SetPayloadLength(message.CalculateSize());
            message.WriteTo(context.GetBufferWriter());
            context.Complete();
        },
        context =>
        {
            try
            {
                return parser.ParseFrom(context.PayloadAsReadOnlySequence());
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"request is not a valid {typeof(T).Name} message: {ex.Message}"));
            }
        });
}
