"""Rebuild trainable weights (a .pt for train.py --init) from an exported EdgePose ONNX model.

    /usr/bin/python3 models/training/recover_weights.py --onnx models/edgepose-box.onnx --data DATA --out W.pt

The export folds each BatchNorm into the convolution before it, so the ONNX file holds W' = W·γ/σ and b' = β − γ·μ/σ
but not γ, β, μ, σ apart. Any split that reproduces W'x + b' in eval mode is the same network; the one chosen here also
keeps training mode close to it: each BatchNorm gets the mean m and deviation s of W'x measured on training frames
(γ = s, β = b' + m, running stats m and s²), so batch statistics start where the running ones are.
"""
import argparse

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from posenet import REFINE_PASSES, VIEWS, ContractHead, PoseNet
from train import normalise, read_split


def conv_call_order(head, sample):
    """Convolutions of the network in the order the exported graph first runs them."""
    order, hooks = [], []
    for module in head.modules():
        if isinstance(module, torch.nn.Conv2d):
            hooks.append(module.register_forward_hook(lambda m, i, o: order.append(m) if m not in order else None))
    with torch.no_grad():
        head(sample)
    for hook in hooks:
        hook.remove()
    return order


def onnx_conv_parameters(path, count):
    """(weight, bias) of the first `count` Conv nodes in graph order: the locator's and the first refiner pass's (a
    second pass repeats the refiner, with its weights as separate constants)."""
    model = onnx.load(path)
    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    values.update({node.output[0]: numpy_helper.to_array(node.attribute[0].t)
                   for node in model.graph.node if node.op_type == "Constant"})
    convs = [node for node in model.graph.node if node.op_type == "Conv"][:count]
    return [(values[c.input[1]], values[c.input[2]] if len(c.input) > 2 else None) for c in convs]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--data", required=True, help="dataset with a train split (frames for the BatchNorm statistics)")
    parser.add_argument("--frames", type=int, default=128)
    parser.add_argument("--refine-passes", type=int, default=REFINE_PASSES, choices=(1, 2, 3))
    parser.add_argument("--views", type=int, default=VIEWS, choices=(1, 4, 5))
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    net = PoseNet().eval()
    head = ContractHead(net, args.refine_passes, args.views).eval()
    frames = read_split(args.data, "train", args.frames, full_frames=True)["frames"]
    images = normalise(frames, "cpu").contiguous()
    convs = conv_call_order(head, images[:1])
    params = onnx_conv_parameters(args.onnx, len(convs))
    norms = {}
    for name, module in net.named_modules():
        if isinstance(module, torch.nn.Sequential):
            for a, b in zip(module, list(module)[1:]):
                if isinstance(a, torch.nn.Conv2d) and isinstance(b, torch.nn.BatchNorm2d):
                    norms[a] = b
    for conv, (weight, bias) in zip(convs, params):
        assert tuple(conv.weight.shape) == weight.shape, f"{tuple(conv.weight.shape)} vs {weight.shape}"
        conv.weight.data = torch.from_numpy(weight.copy())
        if conv in norms:
            bn = norms[conv]
            bn.weight.data.fill_(1)
            bn.bias.data = torch.from_numpy(bias.copy())
            bn.running_mean.zero_()
            bn.running_var.fill_(1 - bn.eps)
        else:
            conv.bias.data = torch.from_numpy(bias.copy())
    # Statistics of W'x per channel, measured with the network as exported (exact in eval mode).
    sums = {c: [0.0, 0.0, 0] for c in norms}

    def measure(conv, _, output):
        entry = sums[conv]
        entry[0] = entry[0] + output.double().sum(dim=(0, 2, 3))
        entry[1] = entry[1] + (output.double() ** 2).sum(dim=(0, 2, 3))
        entry[2] += output.numel() // output.shape[1]

    hooks = [c.register_forward_hook(measure) for c in norms]
    with torch.no_grad():
        reference = [head(images[s:s + 16])[0] for s in range(0, len(images), 16)]
    for hook in hooks:
        hook.remove()
    for conv, bn in norms.items():
        total, squares, count = sums[conv]
        mean = total / count
        std = (squares / count - mean ** 2).clamp_min(1e-8).sqrt()
        bias = bn.bias.data.double()
        bn.running_mean.data = mean.float()
        bn.running_var.data = (std ** 2 - bn.eps).clamp_min(1e-8).float()
        bn.weight.data = std.float()
        bn.bias.data = (bias + mean).float()
    with torch.no_grad():
        again = torch.cat([head(images[s:s + 16])[0] for s in range(0, len(images), 16)])
    drift = float((again - torch.cat(reference)).abs().max())
    print(f"recovered {len(convs)} convolutions; largest keypoint change after re-splitting BatchNorm: {drift:.2e}")
    torch.save(net.state_dict(), args.out)


if __name__ == "__main__":
    main()
