#!/usr/bin/env bash
# Developer entry point, used by the README and by .ci/run:
#   deploy/dev.sh run   [edgepose args]  -- the daemon in development mode on its embedded default (synthetic camera, bundled model)
#   deploy/dev.sh test                    -- every test
# Works on a fresh Debian 12 machine with only the .NET SDK: installs the native libraries it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: GTK3 (OpenCvSharp's native library links it), fonts and libfontconfig for plots.
# Tests also use Prometheus (promtool + a real scrape) and systemd-analyze.
install_packages() {
  local wanted=(libgtk-3-0 libfontconfig1 fonts-dejavu-core "$@")
  local missing=()
  for p in "${wanted[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "dev.sh: installing ${missing[*]}" >&2
    need_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive need_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

case "${1:-}" in
  run)
    shift
    install_packages
    # Development mode: the embedded default's synthetic camera is allowed (production refuses it; results say synthetic).
    DOTNET_ENVIRONMENT=Development exec dotnet run --project src/EdgePose.Daemon -c Release -- "$@"
    ;;
  test)
    shift
    # prometheus: promtool and a real scrape in the deploy tests; systemd: systemd-analyze verify/security of the unit;
    # chromium: the live view's headless-browser test.
    # The Python client (clients/python) is built with protoc + the gRPC plugin (libprotobuf-dev: the well-known
    # types) and tested in a venv over Debian's grpcio, protobuf, numpy, OpenCV and pytest; openssl issues its TLS
    # test certificates.
    install_packages prometheus systemd chromium \
      python3-venv python3-pip python3-setuptools python3-grpcio python3-protobuf python3-numpy python3-opencv \
      python3-pytest protobuf-compiler libprotobuf-dev protobuf-compiler-grpc openssl
    # node + npm: the Kubernetes manifests' schema check (deploy/k8s/validate, kubernetes-models from npm). A machine
    # that already has a node with npm keeps it.
    command -v npm >/dev/null || install_packages nodejs npm
    npm ci --prefix deploy/k8s/validate --no-audit --no-fund --loglevel=error
    dotnet build EdgePose.sln -c Release
    # The Jetson build (Dockerfile.jetson's first stage): the GPU flavour's managed API (1.31.0) without any ONNX Runtime
    # or OpenCvSharp natives; the board gets those from the image or JetPack. Shares the GPU flavour's obj/bin below.
    # A fresh folder: publish does not delete what an earlier (CPU flavour) publish left there.
    rm -rf artifacts/publish/linux-arm64
    dotnet publish src/EdgePose.Daemon -c Release -r linux-arm64 --self-contained -p:EdgePoseGpu=true \
      --artifacts-path artifacts/gpu -o artifacts/publish/linux-arm64 -v quiet -nologo
    # The board gets the daemon alone: no lab, no plotting stack (ScottPlot, SkiaSharp).
    if [ ! -x artifacts/publish/linux-arm64/edgepose ] || [ -e artifacts/publish/linux-arm64/libOpenCvSharpExtern.so ] \
      || compgen -G 'artifacts/publish/linux-arm64/libonnxruntime*' >/dev/null \
      || ! grep -q '"Microsoft.ML.OnnxRuntime.Managed/1.31.0"' artifacts/publish/linux-arm64/edgepose.deps.json \
      || [ -n "$(find artifacts/publish/linux-arm64 -maxdepth 1 \( -iname '*scottplot*' -o -iname '*skiasharp*' -o -iname 'edgepose-lab*' \))" ]; then
      echo "dev.sh: the linux-arm64 publish is not the expected self-contained daemon build" >&2
      exit 1
    fi
    # The GPU flavour (CUDA/TensorRT natives of Microsoft.ML.OnnxRuntime.Gpu.Linux), in its own obj/bin so it leaves the CPU
    # build above, which the tests run, alone. No GPU here: the deploy tests run it to check it falls back to CPU.
    dotnet publish src/EdgePose.Daemon -c Release -r linux-x64 --no-self-contained -p:EdgePoseGpu=true \
      --artifacts-path artifacts/gpu -o artifacts/publish/gpu-linux-x64 -v quiet -nologo
    for lib in libonnxruntime.so libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so; do
      if [ ! -f "artifacts/publish/gpu-linux-x64/$lib" ]; then
        echo "dev.sh: the GPU publish lacks $lib" >&2
        exit 1
      fi
    done
    # The training recipe's smoke run (render a few frames, train a few steps, export, then the C# contract check and
    # parity test on the fresh model) when Debian's PyTorch is installed; models/training/train.sh installs it.
    if /usr/bin/python3 -c 'import torch, onnx, cv2, numpy' 2>/dev/null; then
      smoke=$(mktemp -d)
      EDGEPOSE_LAB="dotnet src/EdgePose.Lab/bin/Release/net10.0/edgepose-lab.dll" EDGEPOSE_DATA="$smoke/data" \
        EDGEPOSE_MODEL_OUT="$smoke/model.onnx" EDGEPOSE_PARITY_OUT="$smoke/parity" models/training/train.sh --smoke
      export EDGEPOSE_SMOKE_MODEL="$smoke/model.onnx" EDGEPOSE_SMOKE_PARITY="$smoke/parity"
    else
      echo "dev.sh: no PyTorch for /usr/bin/python3: skipping the training smoke run" >&2
    fi
    # TRX results too, so that a failure's name, message and stack are printed once more at the very end: CI shows a
    # log's tail, where the console logger's own report of it has long scrolled past.
    results=$(mktemp -d)
    dotnet test EdgePose.sln -c Release --no-build --logger "console;verbosity=normal" --logger trx \
      --results-directory "$results" "$@" || { status=$?; deploy/failed-tests.py "$results"; exit "$status"; }
    # The Python client against the daemon just built.
    clients/python/tests/run.sh
    ;;
  *)
    echo "usage: deploy/dev.sh run [edgepose args] | deploy/dev.sh test [dotnet test args]" >&2
    exit 2
    ;;
esac
