using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace EdgePose.Daemon.Grpc;

/// <summary>TLS and mutual TLS for the gRPC listener from PEM files; cleartext HTTP/2 when no certificate is configured.</summary>
internal static class GrpcTls
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

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
            https.ClientCertificateValidation = (clientCertificate, _, _) => IsAcceptedClient(clientCertificate, clientRoots, options.AllowedClientNames);
        });
    }

    /// <summary>
    /// Signed by the configured CA (not the machine's store), issued for client authentication (an explicit clientAuth
    /// extended key usage: a server's certificate from the same CA is not a client's), and, when an allow-list is set,
    /// naming an allowed identity in its subject common name or a DNS subject alternative name.
    /// </summary>
    internal static bool IsAcceptedClient(X509Certificate2 certificate, X509Certificate2Collection roots, IReadOnlyCollection<string> allowedNames)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (!chain.Build(certificate))
        {
            return false;
        }

        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault()?.EnhancedKeyUsages;
        if (usages is null || !usages.Cast<Oid>().Any(u => u.Value == ClientAuthentication.Value))
        {
            return false;
        }

        return allowedNames.Count == 0 || NamesOf(certificate).Any(name => allowedNames.Contains(name, StringComparer.OrdinalIgnoreCase));
    }

    private static IEnumerable<string> NamesOf(X509Certificate2 certificate)
    {
        yield return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        foreach (var names in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            foreach (var dns in names.EnumerateDnsNames())
            {
                yield return dns;
            }
        }
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

        if (options.AllowedClientNames.Count > 0 && string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            yield return $"{GrpcOptions.SectionName}:AllowedClientNames = '{string.Join(",", options.AllowedClientNames)}': needs ClientCaPath (mutual TLS) to have clients to check.";
        }

        if (string.IsNullOrWhiteSpace(options.CertificatePath) && !string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            yield return $"{GrpcOptions.SectionName}:ClientCaPath = '{options.ClientCaPath}': mutual TLS needs CertificatePath too.";
        }
    }
}
