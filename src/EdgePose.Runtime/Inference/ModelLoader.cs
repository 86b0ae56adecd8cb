using System.Security.Cryptography;
using EdgePose.Core.Contract;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Inference;

/// <summary>Model bytes → contract-checked, warmed-up <see cref="OnnxPoseModel"/>; throws on any failure.</summary>
internal sealed class ModelLoader(OrtSessionFactory sessions, IOptions<InferenceOptions> options, TimeProvider time)
{
    private readonly InferenceOptions _options = options.Value;

    public static string Sha256Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Loads <paramref name="bytes"/>, read once from <paramref name="path"/> and hashed to <paramref name="sha256"/>:
    /// loading from the same bytes that were hashed means the reported hash is exactly what runs, even if the file is replaced meanwhile.
    /// </summary>
    public OnnxPoseModel Load(string path, byte[] bytes, string sha256)
    {
        var (session, provider) = sessions.Create(bytes, sha256);
        OnnxPoseModel? model = null;
        try
        {
            var (contract, version) = ModelContractReader.Read(path, session);
            var info = new ModelInfo(path, sha256, version, contract, provider, time.GetUtcNow());
            model = new OnnxPoseModel(session, info, _options, time);
            model.Warmup(_options.WarmupRuns);
            return model;
        }
        catch
        {
            ((IDisposable?)model ?? session).Dispose();
            throw;
        }
    }
}
