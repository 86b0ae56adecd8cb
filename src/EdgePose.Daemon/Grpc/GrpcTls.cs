using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace EdgePose.Daemon.Grpc;

/// <summary>TLS and mutual TLS for the gRPC listener from PEM files; cleartext HTTP/2 when no certificate is configured.</summary>
internal static class GrpcTls
{
    public static void Configure(ListenOptions listen, GrpcOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            return;
        }

        var certificate = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.CertificateKeyPath);
        X509Certificate2Collection? clientRoots = null;
        if (!string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            clientRoots = [];
            clientRoots.ImportFromPemFile(options.ClientCaPath);
        }

        listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            if (clientRoots is null)
            {
                return;
            }

            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (clientCertificate, _, _) =>
            {
                // Trust exactly the configured CA, not the machine's store.
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(clientRoots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(clientCertificate);
            };
        });
    }

    /// <summary>Start-up checks, so a missing file is a configuration error naming the setting rather than a TLS failure later.</summary>
    public static IEnumerable<string> Validate(GrpcOptions options)
    {
        foreach (var (key, path) in new[]
                 {
                     ("CertificatePath", options.CertificatePath), ("CertificateKeyPath", options.CertificateKeyPath), ("ClientCaPath", options.ClientCaPath),
                 })
        {
            if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
            {
                yield return $"{GrpcOptions.SectionName}:{key} = '{path}': file does not exist.";
            }
        }

        if (string.IsNullOrWhiteSpace(options.CertificatePath) && !string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            yield return $"{GrpcOptions.SectionName}:ClientCaPath = '{options.ClientCaPath}': mutual TLS needs CertificatePath too.";
        }
    }
}
