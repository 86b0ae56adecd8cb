using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EdgePose.Daemon.Grpc;

/// <summary>
/// Admission control for EstimatePose: a limit on calls in progress and a budget of decoded pixels across them, both
/// checked from the image header before anything is decoded, so a flood is refused at the price of reading a header.
/// </summary>
internal sealed class EstimateAdmission(IOptions<GrpcOptions> options)
{
    private readonly GrpcOptions _options = options.Value;
    private readonly Lock _lock = new();
    private int _calls;
    private long _pixels;

    /// <summary>Admits a call that will decode <paramref name="pixels"/> pixels, or throws RESOURCE_EXHAUSTED naming the limit.</summary>
    public Ticket Admit(long pixels)
    {
        lock (_lock)
        {
            if (_calls >= _options.MaxConcurrentEstimates)
            {
                throw Exhausted(
                    $"{_calls} EstimatePose calls are in progress, the limit ({GrpcOptions.SectionName}:{nameof(GrpcOptions.MaxConcurrentEstimates)}); retry later.");
            }

            if (_pixels + pixels > _options.EstimatePixelBudget)
            {
                throw Exhausted(
                    $"decoding this {pixels}-pixel image would take the calls in progress to {_pixels + pixels} pixels, over the decoded-pixel budget of {_options.EstimatePixelBudget} ({GrpcOptions.SectionName}:{nameof(GrpcOptions.EstimatePixelBudget)}).");
            }

            _calls++;
            _pixels += pixels;
        }

        return new Ticket(this, pixels);
    }

    private void Release(long pixels)
    {
        lock (_lock)
        {
            _calls--;
            _pixels -= pixels;
        }
    }

    private static RpcException Exhausted(string message) => new(new Status(StatusCode.ResourceExhausted, message));

    /// <summary>Gives the call's share back when disposed.</summary>
    public readonly struct Ticket(EstimateAdmission owner, long pixels) : IDisposable
    {
        public void Dispose() => owner.Release(pixels);
    }
}
