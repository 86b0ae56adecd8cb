// Validates Kubernetes manifests against the Kubernetes 1.27 OpenAPI schemas and the prometheus-operator CRD schemas,
// as compiled into the kubernetes-models packages: types, required fields, enums and formats. It does not flag unknown
// fields (the API server's strict field validation does); tests/EdgePose.Daemon.Tests/Deploy checks the fields that matter.
//   node deploy/k8s/validate/validate.mjs [--json] [FILE.yaml ...]     (default: every deploy/k8s/*.yaml)
// --json: print the valid manifests as one JSON array on stdout (the deploy tests read them so), the report on stderr.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const kinds = {
  "v1/Namespace": () => import("kubernetes-models/v1/Namespace"),
  "v1/ConfigMap": () => import("kubernetes-models/v1/ConfigMap"),
  "v1/Service": () => import("kubernetes-models/v1/Service"),
  "apps/v1/DaemonSet": () => import("kubernetes-models/apps/v1/DaemonSet"),
  "node.k8s.io/v1/RuntimeClass": () => import("kubernetes-models/node.k8s.io/v1/RuntimeClass"),
  "monitoring.coreos.com/v1/ServiceMonitor": () => import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor"),
};

const folder = join(dirname(fileURLToPath(import.meta.url)), "..");
const json = process.argv[2] === "--json";
const args = process.argv.slice(json ? 3 : 2);
const report = json ? console.error : console.log;
const files = args.length > 0
  ? args
  : readdirSync(folder).filter((f) => f.endsWith(".yaml")).sort().map((f) => join(folder, f));

let problems = 0;
const valid = [];
for (const file of files) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length > 0) {
      problems++;
      console.error(`${file}: YAML: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }

    const manifest = document.toJS();
    if (manifest === null) {
      continue;
    }

    const key = `${manifest.apiVersion}/${manifest.kind}`;
    const name = `${file}: ${key} ${manifest.metadata?.name ?? "(no name)"}`;
    if (!(key in kinds)) {
      problems++;
      console.error(`${name}: no schema for this kind here (add it to validate.mjs)`);
      continue;
    }

    const module = await kinds[key]();
    try {
      new module[manifest.kind](manifest).validate();
      valid.push(manifest);
      report(`ok   ${name}`);
    } catch (error) {
      problems++;
      console.error(`FAIL ${name}: ${error.message}`);
    }
  }
}

report(`${valid.length} manifest(s) valid, ${problems} problem(s)`);
if (json) {
  console.log(JSON.stringify(valid));
}

process.exit(problems === 0 && valid.length > 0 ? 0 : 1);
