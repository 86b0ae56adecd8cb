#!/usr/bin/env bash
# Trains the bundled model from scratch: renders the dataset with the product's renderer, trains, exports.
#   models/training/train.sh [--smoke]   (full run: render 7 + train 75 minutes on a 2-core CPU)
# Installs Debian's PyTorch, ONNX, NumPy and OpenCV for /usr/bin/python3 when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! /usr/bin/python3 -c 'import torch, onnx, cv2, numpy' 2>/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends python3-torch python3-onnx python3-numpy python3-opencv
fi
# How to run edgepose-lab (it renders the datasets): the project by default; CI passes its already-built binary.
read -r -a lab <<< "${EDGEPOSE_LAB:-dotnet run -c Release --project src/EdgePose.Lab --}"
data=${EDGEPOSE_DATA:-/tmp/edgepose-dataset}
scene=(--marker-hidden-probability 0.5 --occlusion-probability 0.5 --max-occlusion 0.3 --min-distance 0.3 --max-distance 1.0)
if [ "${1:-}" = "--smoke" ]; then
  out=${EDGEPOSE_MODEL_OUT:-/tmp/edgepose-smoke.onnx}
  "${lab[@]}" render --out "$data" --split train --count 64 --seed 1 --force "${scene[@]}"
  "${lab[@]}" render --out "$data" --split test --count 16 --seed 9001 --force "${scene[@]}"
  exec /usr/bin/python3 models/training/train.py --data "$data" --out "$out" --epochs 1 --batch 16 --max-minutes 5 --pose-loss 1 \
    --parity-fixture "${EDGEPOSE_PARITY_OUT:-/tmp/edgepose-smoke-parity}"
fi
"${lab[@]}" render --out "$data" --split train --count 20000 --seed 1 --force "${scene[@]}"
"${lab[@]}" render --out "$data" --split test --count 1000 --seed 9001 --force "${scene[@]}"
exec /usr/bin/python3 models/training/train.py --data "$data" --out models/edgepose-box.onnx --epochs 12 --max-minutes 75 --pose-loss 1 \
  --parity-fixture tests/EdgePose.Runtime.Tests/Inference/Parity
