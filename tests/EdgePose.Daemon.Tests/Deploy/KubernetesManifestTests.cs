using System.Text.Json.Nodes;
using EdgePose.Daemon.Grpc;
using EdgePose.Daemon.Hosting;

namespace EdgePose.Daemon.Tests.Deploy;

/// <summary>
/// deploy/k8s against the Kubernetes and prometheus-operator schemas (kubernetes-models, from npm: deploy/k8s/validate),
/// and against what the daemon expects: its config path, health service, ports and the model folder its reload watches.
/// No cluster here: nothing is applied.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Validator = DeployTestKit.PathOf("deploy/k8s/validate/validate.mjs");

    [FactRequiringK8sValidator]
    public async Task Every_manifest_is_valid_against_the_schemas()
    {
        var (exitCode, stdout, stderr) = await DeployTestKit.RunAsync("node", [Validator]);

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("6 manifest(s) valid, 0 problem(s)", stdout);
    }

    [FactRequiringK8sValidator]
    public async Task The_validator_rejects_a_mistyped_field()
    {
        var folder = DeployTestKit.NewTempDirectory();
        try
        {
            var broken = Path.Combine(folder, "daemonset.yaml");
            var text = await File.ReadAllTextAsync(DeployTestKit.PathOf("deploy/k8s/daemonset.yaml"));
            await File.WriteAllTextAsync(broken, text.Replace("path: /dev/video0\n            type: CharDevice", "path: /dev/video0\n            type: 42", StringComparison.Ordinal));

            var (exitCode, _, stderr) = await DeployTestKit.RunAsync("node", [Validator, broken]);

            Assert.Equal(1, exitCode);
            Assert.Contains("FAIL", stderr);
            Assert.Contains("hostPath/type must be string", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [FactRequiringK8sValidator]
    public async Task The_DaemonSet_gives_the_daemon_its_GPU_camera_config_models_probes_and_scraping()
    {
        var manifests = await ManifestsAsync();
        var daemonSet = Single(manifests, "DaemonSet");
        var pod = daemonSet["spec"]!["template"]!;
        var spec = pod["spec"]!;
        var container = Assert.Single(spec["containers"]!.AsArray())!;
        var volumes = spec["volumes"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => v!);
        var mounts = container["volumeMounts"]!.AsArray().ToDictionary(m => (string)m!["mountPath"]!, m => m!);
        var ports = container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (int)p!["containerPort"]!);

        Assert.Equal("nvidia", (string?)spec["runtimeClassName"]);
        Assert.Equal("nvidia", (string?)Single(manifests, "RuntimeClass")["handler"]);

        // Camera: the device node from the host, and the device cgroup opened for it.
        Assert.Equal("CharDevice", (string?)volumes[(string)mounts["/dev/video0"]["name"]!]["hostPath"]!["type"]);
        Assert.True((bool)container["securityContext"]!["privileged"]!);

        // Configuration: the ConfigMap's edgepose.json at the file the daemon reads by default, and the daemon accepts it.
        var config = mounts[DaemonConfiguration.DefaultSystemFile];
        Assert.Equal("edgepose.json", (string?)config["subPath"]);
        var configMap = Single(manifests, "ConfigMap");
        Assert.Equal((string?)configMap["metadata"]!["name"], (string?)volumes[(string)config["name"]!]["configMap"]!["name"]);
        var json = (string)configMap["data"]!["edgepose.json"]!;
        var settings = JsonNode.Parse(json)!["EdgePose"]!;
        await AssertTheDaemonAcceptsAsync(json);

        // Models: the folder of ModelPath, from the node, mounted as a folder (a file mount would pin the replaced file).
        var modelFolder = Path.GetDirectoryName((string)settings["Inference"]!["ModelPath"]!)!;
        var models = mounts[modelFolder];
        Assert.Null(models["subPath"]);
        Assert.Equal(modelFolder, (string?)volumes[(string)models["name"]!]["hostPath"]!["path"]);

        // Probes: readiness on the health service the daemon keeps in step with the pipeline; liveness on /healthz (metrics listener).
        Assert.Equal(50051, ports["grpc"]);
        Assert.EndsWith(":50051", (string)settings["Grpc"]!["Address"]!, StringComparison.Ordinal);
        Assert.EndsWith(":9464", (string)settings["Metrics"]!["Address"]!, StringComparison.Ordinal);
        foreach (var probe in new[] { "startupProbe", "readinessProbe" })
        {
            Assert.Equal(ports["grpc"], (int)container[probe]!["grpc"]!["port"]!);
            Assert.Equal(HealthReporter.ServiceName, (string?)container[probe]!["grpc"]!["service"]);
        }

        Assert.Equal("metrics", (string?)container["livenessProbe"]!["httpGet"]!["port"]);
        Assert.Equal("/healthz", (string?)container["livenessProbe"]!["httpGet"]!["path"]);

        // Scraping: by annotation, and by the ServiceMonitor through the Service's metrics port.
        var annotations = pod["metadata"]!["annotations"]!;
        Assert.Equal("true", (string?)annotations["prometheus.io/scrape"]);
        Assert.Equal(ports["metrics"].ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)annotations["prometheus.io/port"]);
        var service = Single(manifests, "Service");
        Assert.True(JsonNode.DeepEquals(service["spec"]!["selector"], pod["metadata"]!["labels"]));
        Assert.Contains(service["spec"]!["ports"]!.AsArray(), p => (string?)p!["name"] == "metrics" && (string?)p["targetPort"] == "metrics");
        var endpoint = Assert.Single(Single(manifests, "ServiceMonitor")["spec"]!["endpoints"]!.AsArray())!;
        Assert.Equal("metrics", (string?)endpoint["port"]);
        Assert.Contains(endpoint["relabelings"]!.AsArray(), r => (string?)r!["targetLabel"] == "node");
    }

    private static async Task AssertTheDaemonAcceptsAsync(string json)
    {
        var folder = DeployTestKit.NewTempDirectory();
        try
        {
            var file = Path.Combine(folder, "edgepose.json");
            await File.WriteAllTextAsync(file, json);
            var (exitCode, stdout, stderr) = await DeployTestKit.RunAsync(
                "dotnet", [Path.Combine(AppContext.BaseDirectory, "edgepose.dll"), "config", "show", "--config", file], workingDirectory: AppContext.BaseDirectory);
            Assert.True(exitCode == 0, stdout + stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<JsonArray> ManifestsAsync()
    {
        var (exitCode, stdout, stderr) = await DeployTestKit.RunAsync("node", [Validator, "--json"]);
        Assert.True(exitCode == 0, stderr);
        return JsonNode.Parse(stdout)!.AsArray();
    }

    private static JsonNode Single(JsonArray manifests, string kind) => Assert.Single(manifests, m => (string?)m!["kind"] == kind)!;
}

/// <summary>A fact that is skipped, saying how to get it, where node or the validator's npm packages are not installed.</summary>
public sealed class FactRequiringK8sValidatorAttribute : FactAttribute
{
    public FactRequiringK8sValidatorAttribute()
    {
        if (!DeployTestKit.OnPath("node") || !Directory.Exists(DeployTestKit.PathOf("deploy/k8s/validate/node_modules")))
        {
            Skip = "node or deploy/k8s/validate/node_modules is missing: apt-get install nodejs npm; npm ci --prefix deploy/k8s/validate (deploy/dev.sh test does both)";
        }
    }
}
