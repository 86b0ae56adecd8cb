"""EdgePose keypoint network: image -> 9 keypoints (8 box corners + centre) with per-keypoint confidence.

Two passes in one graph, so the runtime stays one session and one Run:
  1. the locator sees the whole frame at a quarter of its resolution and says where the object is and how big
     (the centre and larger side of the corners' bounding box): nothing that depends on telling the corners apart,
     which is the hard part and needs the detail only the full resolution has;
  2. the refiner sees a 128x128 crop of the full-resolution frame framed on that box and finds the nine keypoints,
     to a fraction of a pixel: at 1 m the box spans about 70 px, and a centimetre in depth is about 0.6 px of it.
Both decode their heatmaps in-graph by soft-argmax (DSNT), so the ONNX file outputs exactly what the runtime contract
expects: keypoints [1, 9, 2] as (u, v) normalised to [0, 1] of the model input, scores [1, 9] in [0, 1].
"""
import argparse
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

# The model contract, shared with the runtime (embedded in EdgePose.Core): metadata keys, keypoint order, input size,
# layout, colour, normalisation and tensor names all come from this one file.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "contract.json"), encoding="utf-8") as contract_file:
    CONTRACT = json.load(contract_file)
KEYS = CONTRACT["metadata_keys"]
KEYPOINT_ORDER = ",".join(CONTRACT["keypoint_order"])
KEYPOINTS = len(CONTRACT["keypoint_order"])
CORNERS = 8
# How a keypoint's score weighs it in PnP, 1 / (ln(s)^2 + softness^2): the runtime's solve and train.py's reference solve.
KEYPOINT_WEIGHT_SOFTNESS = CONTRACT["keypoint_weighting"]["softness"]
MEAN = tuple(CONTRACT["input"]["mean"])
STD = tuple(CONTRACT["input"]["std"])
INPUT_WIDTH, INPUT_HEIGHT = CONTRACT["input"]["width"], CONTRACT["input"]["height"]
LOCATOR_POOL = 4
CROP = 128
# Crop side = CROP_MARGIN x the larger side of the corners' bounding box: room for the locator's error.
CROP_MARGIN = 1.3
MIN_CROP_PX = 32.0
# The locator's size channel predicts log(extent / EXTENT_UNIT_PX): order one across 0.3-1.0 m.
EXTENT_UNIT_PX = 100.0


def conv_bn(cin, cout, stride=1, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Residual(nn.Module):
    """A basic ResNet block. Dense 3x3 convolutions rather than depthwise ones: on a CPU they train several times
    faster per step for the same accuracy at these widths, and training time is this recipe's binding budget."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, stride), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.body(x) + (x if self.skip is None else self.skip(x)))


class HeatmapNet(nn.Module):
    """Encoder to stride 2**depth, U-Net decoder back to stride 2, one heatmap per keypoint."""

    def __init__(self, widths, keypoints=KEYPOINTS):
        super().__init__()
        self.stem = conv_bn(3, widths[0], stride=2)
        self.down = nn.ModuleList(
            nn.Sequential(Residual(widths[i], widths[i + 1], 2), Residual(widths[i + 1], widths[i + 1]))
            for i in range(len(widths) - 1))
        self.up = nn.ModuleList(conv_bn(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(len(widths) - 1)))
        self.heatmaps = nn.Conv2d(widths[0], keypoints, 1)

    def forward(self, image):
        skips = [self.stem(image)]
        for block in self.down:
            skips.append(block(skips[-1]))
        y = skips.pop()
        for block in self.up:
            skip = skips.pop()
            y = block(torch.cat([F.interpolate(y, size=skip.shape[-2:], mode="nearest"), skip], 1))
        return self.heatmaps(y)


def soft_argmax(logits):
    """logits [N,K,h,w] -> (u, v) [N,K,2] in [0,1] of the heatmap's extent, and the peak logit [N,K]."""
    n, k, h, w = logits.shape
    flat = logits.reshape(n, k, h * w)
    prob = torch.softmax(flat, dim=2).reshape(n, k, h, w)
    xs = (torch.arange(w, dtype=logits.dtype, device=logits.device) + 0.5) / w
    ys = (torch.arange(h, dtype=logits.dtype, device=logits.device) + 0.5) / h
    u = (prob.sum(dim=2) * xs).sum(dim=2)
    v = (prob.sum(dim=3) * ys).sum(dim=2)
    return torch.stack([u, v], dim=2), prob, flat.max(dim=2).values


def crop_box(keypoints_uv, width=INPUT_WIDTH, height=INPUT_HEIGHT, margin=CROP_MARGIN):
    """Square crop around the corners: centre (u, v) normalised [N,2] and side in input pixels [N]."""
    corners = keypoints_uv[:, :CORNERS]
    low, high = corners.min(dim=1).values, corners.max(dim=1).values
    centre = (low + high) / 2
    extent = torch.maximum((high[:, 0] - low[:, 0]) * width, (high[:, 1] - low[:, 1]) * height)
    return centre, torch.clamp(extent * margin, min=MIN_CROP_PX)


def crop_grid(centre, side, width=INPUT_WIDTH, height=INPUT_HEIGHT, size=CROP):
    """grid_sample grid (align_corners=False) for a size x size crop: output pixel centre j samples input pixel
    centre + (j + 0.5 - size/2) * side/size, which is what train.py's crops and labels assume."""
    steps = (torch.arange(size, dtype=centre.dtype, device=centre.device) + 0.5) / size - 0.5
    gx = 2 * (centre[:, 0:1] + steps.view(1, size) * side.view(-1, 1) / width) - 1
    gy = 2 * (centre[:, 1:2] + steps.view(1, size) * side.view(-1, 1) / height) - 1
    n = centre.shape[0]
    return torch.stack([gx.view(n, 1, size).expand(n, size, size), gy.view(n, size, 1).expand(n, size, size)], dim=3)


def cut_crops(image, centre, side, width=INPUT_WIDTH, height=INPUT_HEIGHT, views=1):
    """The crops crop_grid describes, sampled bilinearly; outside the image is zero, the mean colour once normalised.
    With views > 1, centre [N*views,2] and side [N*views] hold that many crops of each image, image by image, and the
    crops come back in that order: stacked into one tall grid per image, one grid_sample cuts them all without copying
    the image."""
    n, channels = image.shape[:2]
    grid = crop_grid(centre, side, width, height)
    if views == 1:
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    tall = F.grid_sample(image, grid.reshape(n, views * CROP, CROP, 2), mode="bilinear", padding_mode="zeros",
                         align_corners=False)
    return tall.reshape(n, channels, views, CROP, CROP).transpose(1, 2).reshape(n * views, channels, CROP, CROP)


def uncrop(local, centre, side, input_size):
    """Keypoints normalised to their crops [N,K,2] -> normalised to the input; input_size is (width, height)."""
    return centre.unsqueeze(1) + (local - 0.5) * side.view(-1, 1, 1) / input_size


def locator_outputs(maps):
    """Locator maps [N,2,h,w] -> box centre (u, v) normalised [N,2], its centre heatmap [N,1,h,w], log-extent [N].
    The size is read under the centre's heatmap, so it is the size the network sees at the place it points to."""
    centre, prob, _ = soft_argmax(maps[:, :1])
    return centre[:, 0], prob, (prob[:, 0] * maps[:, 1]).sum(dim=(1, 2))


class PoseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.locator = HeatmapNet((16, 24, 48, 64), keypoints=2)
        self.refiner = HeatmapNet((16, 32, 64, 96, 128))

    def locate(self, small):
        """Quarter-resolution frame -> the crop: centre normalised to the frame [N,2], side in input pixels [N]."""
        centre, _, log_extent = locator_outputs(self.locator(small))
        return centre, torch.clamp(torch.exp(log_extent) * EXTENT_UNIT_PX * CROP_MARGIN, min=MIN_CROP_PX)

    def refine(self, crops):
        """Crops -> keypoints normalised to the crop."""
        return soft_argmax(self.refiner(crops))


# The exported graph's inference recipe, chosen on the validation splits (MODEL_CARD.md): how many times the refiner
# reframes, and in how many crops, shifted diagonally by VIEW_SHIFT of the crop's side and scaled by VIEW_SCALE, the
# last pass looks at the object (their keypoints averaged: each view errs a little differently, much as the locator's
# framing does).
REFINE_PASSES = 3
VIEWS = 4
VIEW_SHIFT = 0.04
# The diagonal views also differ in scale, alternately VIEW_SCALE smaller and larger than the framed crop: a view errs in
# the box's apparent size as much as in its place, and size is depth, where the wrong poses served miss (1-3 cm, with
# the angle right). Averaging them cancels some of it, and their disagreement (SPREAD_PX) marks the frames where it
# does not (chosen on the validation splits, MODEL_CARD.md).
VIEW_SCALE = 0.05
# Where the views disagree on a keypoint the refiner is unsure of it, whatever its peak says: each keypoint's score is
# scaled by exp(-spread / SPREAD_PX), the spread being the RMS distance of the views' answers from their mean, in pixels
# of the 128-pixel crop (chosen on the validation splits, MODEL_CARD.md).
SPREAD_PX = 3.0


def view_offsets(views, dtype=torch.float32):
    """Per view (x offset, y offset, scale) [views, 3]: the crop centre moved by the offsets (in crop sides) and its side
    multiplied by the scale. One view: the crop as framed; four: the diagonals, alternately smaller and larger; five: the
    framed crop and the four."""
    small, large = 1 - VIEW_SCALE, 1 + VIEW_SCALE
    diagonals = [(VIEW_SHIFT, VIEW_SHIFT, small), (-VIEW_SHIFT, VIEW_SHIFT, large), (VIEW_SHIFT, -VIEW_SHIFT, large),
                 (-VIEW_SHIFT, -VIEW_SHIFT, small)]
    return torch.tensor({1: [(0.0, 0.0, 1.0)], 4: diagonals, 5: [(0.0, 0.0, 1.0)] + diagonals}[views], dtype=dtype)


class ContractHead(nn.Module):
    """The whole inference path as the runtime runs it: full input -> locator -> crop -> refiner -> input coordinates.

    With refine_passes > 1 the refiner runs again on a crop re-centred and re-sized on its own keypoints: the locator's
    crop only has to contain the object, the later ones are framed as the refiner was trained to see it. The last pass
    looks through `views` shifted and scaled crops at once (one grid_sample, one refiner batch) and averages what they find; where
    they disagree, the keypoint's score drops (SPREAD_PX)."""

    def __init__(self, net, refine_passes=REFINE_PASSES, views=VIEWS):
        super().__init__()
        self.net = net
        self.refine_passes = refine_passes
        self.register_buffer("offsets", view_offsets(views), persistent=False)

    def forward(self, image):
        centre, side = self.net.locate(F.avg_pool2d(image, LOCATOR_POOL))
        input_size = torch.tensor([INPUT_WIDTH, INPUT_HEIGHT], dtype=image.dtype, device=image.device)
        for refine_pass in range(self.refine_passes - 1):
            if refine_pass > 0:
                centre, side = crop_box(keypoints)
            local, _, _ = self.net.refine(cut_crops(image, centre, side))
            keypoints = uncrop(local, centre, side, input_size)
        if self.refine_passes > 1:
            centre, side = crop_box(keypoints)
        n, views = image.shape[0], self.offsets.shape[0]
        centres = (centre.unsqueeze(1) + self.offsets[:, :2].unsqueeze(0) * side.view(n, 1, 1) / input_size).reshape(n * views, 2)
        sides = (side.view(n, 1) * self.offsets[:, 2].view(1, views)).reshape(n * views)
        local, _, peak = self.net.refine(cut_crops(image, centres, sides, views=views))
        each = uncrop(local, centres, sides, input_size).reshape(n, views, KEYPOINTS, 2)
        keypoints = each.mean(dim=1)
        spread = ((each - keypoints.unsqueeze(1)) * input_size / side.view(n, 1, 1, 1) * CROP).pow(2).sum(dim=3).mean(dim=1).sqrt()
        # Confidence: the refiner's peak logit, trained to say whether the keypoint is within 2% of the crop, and the
        # views' agreement.
        return keypoints, torch.sigmoid(peak.reshape(n, views, KEYPOINTS).mean(dim=1)) * torch.exp(-spread / SPREAD_PX)


def contract_metadata(object_id, version):
    """The ONNX metadata properties the runtime checks at load, in the order they are written."""
    inputs, outputs = CONTRACT["input"], CONTRACT["outputs"]
    return {
        KEYS["contract_version"]: CONTRACT["contract_version"],
        KEYS["model_version"]: version,
        KEYS["object_id"]: object_id,
        KEYS["input_name"]: inputs["name"],
        KEYS["input_width"]: str(INPUT_WIDTH),
        KEYS["input_height"]: str(INPUT_HEIGHT),
        KEYS["input_layout"]: inputs["layout"],
        KEYS["input_color"]: inputs["color"],
        KEYS["input_mean"]: ",".join(str(v) for v in MEAN),
        KEYS["input_std"]: ",".join(str(v) for v in STD),
        KEYS["input_resize"]: inputs["resize"],
        KEYS["keypoint_order"]: KEYPOINT_ORDER,
        KEYS["output_keypoints"]: outputs["keypoints"],
        KEYS["output_scores"]: outputs["scores"],
    }


def export(net, path, object_id="box", version="untrained", refine_passes=REFINE_PASSES, views=VIEWS):
    import onnx

    head = ContractHead(net, refine_passes, views).eval()
    dummy = torch.zeros(1, 3, INPUT_HEIGHT, INPUT_WIDTH)
    # Opset 16 for GridSample (the crop).
    inputs, outputs = CONTRACT["input"], CONTRACT["outputs"]
    torch.onnx.export(head, dummy, path, input_names=[inputs["name"]], output_names=[outputs["keypoints"], outputs["scores"]],
                      opset_version=16)
    model = onnx.load(path)
    for key, value in contract_metadata(object_id, version).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Export the EdgePose network with untrained weights (benchmarks only).")
    parser.add_argument("--export-untrained", required=True, metavar="OUT.onnx")
    args = parser.parse_args()
    torch.manual_seed(0)
    export(PoseNet(), args.export_untrained)
    print(f"wrote {args.export_untrained}")
