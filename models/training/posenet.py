"""EdgePose keypoint network: image -> 9 keypoints (8 box corners + centre) with per-keypoint confidence.

Heatmaps at 1/4 input resolution decoded in-graph by soft-argmax (DSNT), so the ONNX file outputs exactly what the
runtime contract expects: keypoints [1, 9, 2] as (u, v) normalised to [0, 1] of the model input, scores [1, 9] in [0, 1].
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

KEYPOINT_ORDER = "x-y-z-,x+y-z-,x+y+z-,x-y+z-,x-y-z+,x+y-z+,x+y+z+,x-y+z+,centre"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def conv_bn(cin, cout, stride=1, groups=1, k=3):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand=4):
        super().__init__()
        mid = cin * expand
        self.use_skip = stride == 1 and cin == cout
        self.block = nn.Sequential(
            conv_bn(cin, mid, k=1),
            conv_bn(mid, mid, stride=stride, groups=mid),
            nn.Conv2d(mid, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        y = self.block(x)
        return x + y if self.use_skip else y


class PoseNet(nn.Module):
    """A MobileNetV2-style encoder with a light U-Net decoder back to stride 4."""

    def __init__(self, keypoints=9, width=1.0):
        super().__init__()
        c = [int(v * width) for v in (16, 24, 32, 64, 96)]
        self.stem = conv_bn(3, c[0], stride=2)                                      # /2
        self.s4 = nn.Sequential(InvertedResidual(c[0], c[1], 2), InvertedResidual(c[1], c[1], 1))   # /4
        self.s8 = nn.Sequential(InvertedResidual(c[1], c[2], 2), InvertedResidual(c[2], c[2], 1))   # /8
        self.s16 = nn.Sequential(InvertedResidual(c[2], c[3], 2), InvertedResidual(c[3], c[3], 1),
                                 InvertedResidual(c[3], c[3], 1))                                   # /16
        self.s32 = nn.Sequential(InvertedResidual(c[3], c[4], 2), InvertedResidual(c[4], c[4], 1))  # /32
        self.up16 = conv_bn(c[4] + c[3], c[3])
        self.up8 = conv_bn(c[3] + c[2], c[2])
        self.up4 = conv_bn(c[2] + c[1], c[1])
        self.heatmaps = nn.Conv2d(c[1], keypoints, 1)
        self.keypoints = keypoints

    def forward(self, image):
        x2 = self.stem(image)
        x4 = self.s4(x2)
        x8 = self.s8(x4)
        x16 = self.s16(x8)
        x32 = self.s32(x16)
        y = self.up16(torch.cat([F.interpolate(x32, scale_factor=2.0, mode="nearest"), x16], 1))
        y = self.up8(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x8], 1))
        y = self.up4(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x4], 1))
        return self.heatmaps(y)


class ContractHead(nn.Module):
    """Soft-argmax decoding inside the graph: logits [N,K,h,w] -> keypoints [N,K,2] in [0,1], scores [N,K]."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        logits = self.net(image)
        n, k, h, w = logits.shape
        flat = logits.reshape(n, k, h * w)
        prob = torch.softmax(flat, dim=2).reshape(n, k, h, w)
        xs = (torch.arange(w, dtype=logits.dtype) + 0.5) / w
        ys = (torch.arange(h, dtype=logits.dtype) + 0.5) / h
        u = (prob.sum(dim=2) * xs).sum(dim=2)
        v = (prob.sum(dim=3) * ys).sum(dim=2)
        keypoints = torch.stack([u, v], dim=2)
        # Confidence: a peaked, high heatmap means the keypoint was seen.
        scores = torch.sigmoid(flat.max(dim=2).values)
        return keypoints, scores


def export(net, path, size=256, object_id="box", version="untrained"):
    import onnx

    head = ContractHead(net).eval()
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(head, dummy, path, input_names=["image"], output_names=["keypoints", "scores"], opset_version=13)
    model = onnx.load(path)
    meta = {
        "edgepose.contract_version": "1",
        "edgepose.model_version": version,
        "edgepose.object_id": object_id,
        "edgepose.input_name": "image",
        "edgepose.input_width": str(size),
        "edgepose.input_height": str(size),
        "edgepose.input_layout": "NCHW",
        "edgepose.input_color": "RGB",
        "edgepose.input_mean": ",".join(str(v) for v in MEAN),
        "edgepose.input_std": ",".join(str(v) for v in STD),
        "edgepose.input_resize": "letterbox",
        "edgepose.keypoint_order": KEYPOINT_ORDER,
        "edgepose.output_keypoints": "keypoints",
        "edgepose.output_scores": "scores",
    }
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Export the EdgePose network with untrained weights (benchmarks only).")
    parser.add_argument("--export-untrained", required=True, metavar="OUT.onnx")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    torch.manual_seed(0)
    export(PoseNet(), args.export_untrained, args.size)
    print(f"wrote {args.export_untrained}")
