"""Train the EdgePose keypoint network on an `edgepose-lab render` dataset (BOP layout) and export the ONNX model.

    /usr/bin/python3 models/training/train.py --data DATA_DIR --out models/edgepose-box.onnx

The two passes of posenet.py train side by side on every step: the locator on quarter-resolution frames (where the
box is, how big), the refiner on full-resolution crops around the true box, jittered in position and size as much as the locator errs, plus
background crops that must score low. At export they are chained exactly as the runtime runs them.

Reproducible: fixed seed, single-process data pipeline. Uses a CUDA GPU when one is present, else the CPU.
Writes, beside the model: <out>.pt (weights, for --init), <out>.training.json (loss curve, held-out metrics, timing)
and, with --parity-fixture DIR, reference outputs that the C# parity test compares the runtime against.
"""
import argparse
import json
import math
import os
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from posenet import (CORNERS, CROP_MARGIN, EXTENT_UNIT_PX, INPUT_HEIGHT, INPUT_WIDTH, KEYPOINT_WEIGHT_SOFTNESS, KEYPOINTS,
                     LOCATOR_POOL, MEAN, MIN_CROP_PX, REFINE_PASSES, STD, VIEWS, ContractHead, PoseNet, cut_crops, export, locator_outputs,
                     soft_argmax, uncrop)

# How far the refiner's training crops stray from the true box, in crop sides: covers the locator's errors.
CROP_SHIFT = 0.08
CROP_SCALE = (0.88, 1.2)
# The context kept around each object must hold any jittered crop: half the largest side plus the largest shift.
CONTEXT_HALF = CROP_MARGIN * CROP_SCALE[1] * (0.5 + CROP_SHIFT) * 1.02
# A keypoint counts as found (score target 1) within this many crop pixels of the truth: 2% of the crop.
HIT_CROP_PX = 2.5
NEGATIVE_EVERY = 16
# The grasp tolerance (#10) that --pose-loss measures pose errors in.
POSITION_TOLERANCE_M = 0.01
ANGLE_TOLERANCE_RAD = math.radians(5)
# PnpSolver.MinimumPixelSigma: the runtime's covariance never assumes less pixel noise than this (image pixels).
MINIMUM_PIXEL_SIGMA = 0.25
# OnnxPoseModel leaves keypoints scored below InferenceOptions.KeypointScoreFloor's default out of PnP, and serves no pose
# from fewer than MinimumKeypoints.
KEYPOINT_SCORE_FLOOR = 0.05
MINIMUM_KEYPOINTS = 6
# The share of frames a served pose may miss the tolerance on when train.py ranks weights by the confidence: issue #10's 2%
# less one standard error of a rate on 1 000 frames, the limit `edgepose-lab threshold` chooses thresholds under.
WRONG_POSE_LIMIT = 0.0156
# Share of the refiner's crop a --cutout rectangle covers.
CUTOUT_AREA = (0.08, 0.35)


def letterbox_geometry(width, height):
    """Mirrors src/EdgePose.Runtime/Inference/Letterbox.cs (rounding included): content rectangle and per-axis scale."""
    scale = min(INPUT_WIDTH / width, INPUT_HEIGHT / height)
    w = min(max(int(np.round(width * scale)), 1), INPUT_WIDTH)
    h = min(max(int(np.round(height * scale)), 1), INPUT_HEIGHT)
    x, y = (INPUT_WIDTH - w) // 2, (INPUT_HEIGHT - h) // 2
    return x, y, w, h, w / width, h / height


def letterbox_content(bgr):
    """The frame resized as LetterboxTensor.Fill resizes it, and where it goes in the input: (image, x, y)."""
    height, width = bgr.shape[:2]
    x, y, w, h, _, _ = letterbox_geometry(width, height)
    return cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR), x, y


def letterbox_uint8(bgr):
    """The frame as the model input sees it, before normalisation; padding in the mean colour (≈ 0 once normalised)."""
    content, x, y = letterbox_content(bgr)
    canvas = np.empty((INPUT_HEIGHT, INPUT_WIDTH, 3), np.uint8)
    canvas[:] = np.round(np.array(MEAN[::-1]) * 255).astype(np.uint8)
    canvas[y:y + content.shape[0], x:x + content.shape[1]] = content
    return canvas


def letterbox_tensor(bgr):
    """BGR uint8 -> normalised float32 CHW tensor exactly as LetterboxTensor.Fill does (zero padding after normalisation)."""
    content, x, y = letterbox_content(bgr)
    tensor = torch.zeros((3, INPUT_HEIGHT, INPUT_WIDTH))
    tensor[:, y:y + content.shape[0], x:x + content.shape[1]] = normalise(content, "cpu")
    return tensor


def to_input_pixels(points, width, height):
    """Image pixels -> model input pixels (both OpenCV convention: pixel centres at integers)."""
    x, y, _, _, sx, sy = letterbox_geometry(width, height)
    return np.stack([(points[:, 0] + 0.5) * sx + x - 0.5, (points[:, 1] + 0.5) * sy + y - 0.5], axis=1)


def to_image_pixels(uv, width, height):
    """Normalised model coordinates -> image pixels, as Letterbox.ToImage does."""
    x, y, _, _, sx, sy = letterbox_geometry(width, height)
    return np.stack([(uv[:, 0] * INPUT_WIDTH - x) / sx - 0.5, (uv[:, 1] * INPUT_HEIGHT - y) / sy - 0.5], axis=1)


def normalise(uint8_bgr, device):
    """uint8 [..., H, W, 3] BGR -> float [..., 3, H, W] RGB, normalised like the runtime."""
    x = torch.from_numpy(np.ascontiguousarray(uint8_bgr)).to(device).float() / 255.0
    x = (x[..., [2, 1, 0]] - torch.tensor(MEAN, device=device)) / torch.tensor(STD, device=device)
    return x.movedim(-1, -3)


def corner_box(keypoints_px):
    """Centre and larger side of the corners' bounding box, input pixels."""
    corners = keypoints_px[:CORNERS]
    low, high = corners.min(axis=0), corners.max(axis=0)
    return (low + high) / 2, float(max(high - low))


def true_boxes(keypoints_px):
    """Every frame's corner box as the locator predicts it: centre normalised to the input [N,2] (float32) and larger
    side in input pixels [N] (float64, so that targets derived from it round once)."""
    boxes = [corner_box(k) for k in keypoints_px]
    centres = np.array([(c + 0.5) / (INPUT_WIDTH, INPUT_HEIGHT) for c, _ in boxes])
    return torch.tensor(centres, dtype=torch.float32), torch.tensor([e for _, e in boxes], dtype=torch.float64)


class Contexts:
    """Full-resolution windows of the input around each object (ragged, in one flat array): what the refiner's crops
    are cut from, so training samples exactly the pixels inference would, without keeping 20 000 whole frames."""

    def __init__(self):
        self.parts, self.origins, self.shapes = [], [], []

    def add(self, frame, centre, half):
        x0, y0 = (int(max(0, math.floor(centre[0] - half))), int(max(0, math.floor(centre[1] - half))))
        x1 = int(min(INPUT_WIDTH, math.ceil(centre[0] + half) + 1))
        y1 = int(min(INPUT_HEIGHT, math.ceil(centre[1] + half) + 1))
        window = frame[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)]
        self.parts.append(window.reshape(-1))
        self.origins.append((x0, y0))
        self.shapes.append(window.shape[:2])

    def arrays(self, prefix):
        offsets = np.cumsum([0] + [p.size for p in self.parts])
        return {f"{prefix}_flat": np.concatenate(self.parts) if self.parts else np.zeros(0, np.uint8),
                f"{prefix}_offsets": offsets, f"{prefix}_origins": np.array(self.origins, np.int32).reshape(-1, 2),
                f"{prefix}_shapes": np.array(self.shapes, np.int32).reshape(-1, 2)}


def read_split(root, split, limit=None, full_frames=False, seed=0):
    """Loads a split once into training form, cached beside it (re-rendering the split invalidates the cache)."""
    scene = os.path.join(root, split, "000000")
    labels = os.path.join(scene, "scene_edgepose.json")
    with open(labels) as f:
        extra = json.load(f)
    # A captured failure split keeps its unlabelled frames with no objects (edgepose-lab label); they have nothing to learn.
    ids = sorted(int(k) for k, objects in extra.items() if objects)[:limit]
    kind = "full" if full_frames else "train"
    cache = os.path.join(scene, f"cache_twopass_{kind}_{len(ids)}.npz")
    if os.path.exists(cache) and os.path.getmtime(cache) > os.path.getmtime(labels):
        return dict(np.load(cache))
    rng = np.random.default_rng(seed)
    small = np.zeros((len(ids), INPUT_HEIGHT // LOCATOR_POOL, INPUT_WIDTH // LOCATOR_POOL, 3), np.uint8)
    keypoints = np.zeros((len(ids), KEYPOINTS, 2), np.float32)
    frames = np.zeros((len(ids), INPUT_HEIGHT, INPUT_WIDTH, 3), np.uint8) if full_frames else None
    objects, negatives = Contexts(), Contexts()
    for n, i in enumerate(ids):
        bgr = cv2.imread(os.path.join(scene, "rgb", f"{i:06d}.png"), cv2.IMREAD_COLOR)
        frame = letterbox_uint8(bgr)
        # INTER_AREA by an integer factor is the box average that the graph's avg_pool computes.
        small[n] = cv2.resize(frame, (INPUT_WIDTH // LOCATOR_POOL, INPUT_HEIGHT // LOCATOR_POOL), interpolation=cv2.INTER_AREA)
        keypoints[n] = to_input_pixels(np.array(extra[str(i)][0]["keypoints_2d"], np.float64), bgr.shape[1], bgr.shape[0])
        if full_frames:
            frames[n] = frame
            continue
        centre, extent = corner_box(keypoints[n])
        objects.add(frame, centre, CONTEXT_HALF * extent + 2)
        if n % NEGATIVE_EVERY == 0:
            # Background the locator might mistake for the object: same size range, away from the object.
            for _ in range(20):
                side = float(rng.uniform(40, 300))
                c = rng.uniform([side / 2, side / 2], [INPUT_WIDTH - side / 2, INPUT_HEIGHT - side / 2])
                if np.abs(c - centre).max() > (side + extent) / 2:
                    negatives.add(frame, c, side / 2 + 2)
                    break
    data = {"small": small, "keypoints": keypoints, "ids": np.array(ids)}
    if full_frames:
        data["frames"] = frames
    else:
        data.update(objects.arrays("ctx"))
        data.update(negatives.arrays("neg"))
    np.savez(cache, **data)
    return data


def window(data, prefix, i):
    start, end = data[f"{prefix}_offsets"][i], data[f"{prefix}_offsets"][i + 1]
    h, w = data[f"{prefix}_shapes"][i]
    return data[f"{prefix}_flat"][start:end].reshape(h, w, 3), data[f"{prefix}_origins"][i]


def sample_crop(image, origin, centre, side):
    """grid_sample from a context exactly as the graph samples the whole input (posenet.crop_grid)."""
    h, w = image.shape[-2:]
    # Crops are placed in coordinates normalised to the sampled image; express this one in the context's frame.
    c = torch.tensor([[(centre[0] - origin[0] + 0.5) / w, (centre[1] - origin[1] + 0.5) / h]], dtype=image.dtype)
    return cut_crops(image.unsqueeze(0), c, torch.tensor([side], dtype=image.dtype), width=w, height=h)[0]


def refiner_batch(data, index, rng, negatives, cutout=0.0):
    """Crops around the true keypoints (jittered), their targets in crop coordinates and the crops' sides in input
    pixels; plus background crops."""
    crops, targets, positive, sides = [], [], [], []
    for i in index:
        image, origin = window(data, "ctx", i)
        centre, extent = corner_box(data["keypoints"][i])
        side = max(extent * CROP_MARGIN * rng.uniform(*CROP_SCALE), MIN_CROP_PX)
        centre = centre + rng.uniform(-CROP_SHIFT, CROP_SHIFT, 2) * side
        crops.append(augment(sample_crop(normalise(image, "cpu"), origin, centre, side), rng, cutout))
        targets.append((data["keypoints"][i] + 0.5 - (centre + 0.5)) / side + 0.5)
        positive.append(1.0)
        sides.append(side)
    for _ in range(negatives):
        j = rng.integers(len(data["neg_offsets"]) - 1)
        image, origin = window(data, "neg", j)
        side = float(min(image.shape[:2]) - 4)
        centre = np.array([origin[0] + image.shape[1] / 2 - 0.5, origin[1] + image.shape[0] / 2 - 0.5])
        crops.append(augment(sample_crop(normalise(image, "cpu"), origin, centre, side), rng))
        targets.append(np.full((KEYPOINTS, 2), 0.5))
        positive.append(0.0)
        sides.append(side)
    return (torch.stack(crops), torch.tensor(np.array(targets), dtype=torch.float32), torch.tensor(positive),
            torch.tensor(sides, dtype=torch.float32))


def augment(crop, rng, cutout=0.0):
    """Mild photometric jitter on the normalised crop (gain and offset per image, sensor noise); geometry untouched.
    With probability `cutout`, a flat, noisy rectangle covering 8-35% of the crop is painted over it first: occlusion
    beyond what the renderer's occluders give, while the targets stay where the hidden keypoints are (#10: occluded
    frames are the costliest slice)."""
    if cutout > 0 and rng.random() < cutout:
        crop = crop.clone()
        size = crop.shape[-1]
        area = rng.uniform(*CUTOUT_AREA) * size * size
        aspect = math.exp(rng.uniform(-0.9, 0.9))
        w = int(min(size, max(4, round(math.sqrt(area * aspect)))))
        h = int(min(size, max(4, round(math.sqrt(area / aspect)))))
        x, y = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
        colour = torch.tensor(rng.uniform(-1.8, 1.8, 3), dtype=crop.dtype).view(3, 1, 1)
        crop[:, y:y + h, x:x + w] = colour + rng.uniform(0, 0.3) * torch.randn(3, h, w, dtype=crop.dtype)
    gain = rng.uniform(0.85, 1.15)
    offset = rng.uniform(-0.15, 0.15)
    noise = rng.uniform(0, 0.06)
    return crop * gain + offset + noise * torch.randn_like(crop)


def dsnt_loss(logits, targets, weight, hit_cells, sigma_cells=1.5):
    """Coordinate L1 (heatmap cells) + Jensen–Shannon to a Gaussian (DSNT) + score BCE (peak logit says 'hit').
    (loss, coordinate L1, hit share, predicted coordinates [N,K,2], peak logits [N,K])."""
    pred, prob, peak = soft_argmax(logits)
    n, k, h, w = logits.shape
    cells_per_unit = torch.tensor([w, h], dtype=pred.dtype, device=pred.device)
    err = (pred - targets).abs() * cells_per_unit
    coord = (err.sum(dim=2).mean(dim=1) * weight).sum() / weight.sum().clamp_min(1)
    xs = (torch.arange(w, dtype=pred.dtype, device=pred.device) + 0.5) / w
    ys = (torch.arange(h, dtype=pred.dtype, device=pred.device) + 0.5) / h
    gx = torch.exp(-((xs.view(1, 1, 1, w) - targets[..., 0].view(n, k, 1, 1)) * w) ** 2 / (2 * sigma_cells ** 2))
    gy = torch.exp(-((ys.view(1, 1, h, 1) - targets[..., 1].view(n, k, 1, 1)) * h) ** 2 / (2 * sigma_cells ** 2))
    g = gx * gy
    g = g / g.sum(dim=(2, 3), keepdim=True).clamp_min(1e-12)
    m = (0.5 * (prob + g)).clamp_min(1e-12).log()
    js = 0.5 * ((prob * (prob.clamp_min(1e-12).log() - m)).sum(dim=(2, 3))
                + (g * (g.clamp_min(1e-12).log() - m)).sum(dim=(2, 3))).mean(dim=1)
    js = (js * weight).sum() / weight.sum().clamp_min(1)
    with torch.no_grad():
        cells = (pred - targets) * cells_per_unit
        hit = (cells.norm(dim=2) < hit_cells).float() * weight.view(-1, 1)
    score = F.binary_cross_entropy_with_logits(peak, hit)
    return coord + js + 0.1 * score, coord.detach(), hit.sum() / (weight.sum() * k).clamp_min(1), pred, peak


def read_poses(root, split):
    """A split's true poses (scene_gt.json), per-frame intrinsics (scene_camera.json) and the camera (camera.json)."""
    scene = os.path.join(root, split, "000000")
    with open(os.path.join(scene, "scene_gt.json")) as f:
        gt = json.load(f)
    with open(os.path.join(scene, "scene_camera.json")) as f:
        cams = json.load(f)
    with open(os.path.join(root, "camera.json")) as f:
        camera = json.load(f)
    return gt, cams, camera


def pose_jacobians(root, split, ids):
    """frame_pose_jacobian of every frame of a split at its true pose, in model-input pixels [N, 2K, 6], and the split's
    model-input pixels per image pixel (the letterbox's scale)."""
    gt, cams, camera = read_poses(root, split)
    _, _, _, _, sx, sy = letterbox_geometry(camera["width"], camera["height"])
    object_points = box_keypoints(root)
    jacobians = [frame_pose_jacobian(object_points, np.array(gt[str(i)][0]["cam_R_m2c"], np.float64).reshape(3, 3),
                                     np.array(gt[str(i)][0]["cam_t_m2c"], np.float64) / 1000,
                                     np.array(cams[str(i)]["cam_K"], np.float64).reshape(3, 3), sx, sy) for i in ids]
    return torch.tensor(np.array(jacobians), dtype=torch.float32), sx


def frame_pose_jacobian(object_points, r, t, k, sx=1.0, sy=1.0):
    """d(keypoint pixel)/d(pose) at pose (r, t) [2K, 6] (rows u0, v0, u1, ...), pixels scaled by (sx, sy) (the letterbox
    into the model input): translation in units of POSITION_TOLERANCE_M, rotation (left-multiplied, as PnpSolver
    updates it) in units of ANGLE_TOLERANCE_RAD, so that a pose step's length is its error in grasp tolerances."""
    rotated = object_points @ r.T
    jac = projection_jacobian(rotated + t, rotated, sx * k[0, 0], sy * k[1, 1])
    units = np.array([POSITION_TOLERANCE_M] * 3 + [ANGLE_TOLERANCE_RAD] * 3)
    return (jac * units).reshape(-1, 6)


def linearised_pose_fit(jacobians, residuals, peaks, pixel_scale=1.0):
    """What a PnP weighted as the runtime weighs the keypoints (keypoint_weights) makes of keypoints off by these
    residuals (model-input pixels [N,K,2]), to first order about the true pose (one Gauss-Newton step from it):
    (error [N], how far it moves in grasp tolerances; confidence [N], OnnxPoseModel's: the mean score times
    GraspTolerance.Confidence of PnpSolver's covariance σ²(JᵀWJ)⁻¹, σ² from the weighted residuals left after the step,
    with 2K − 6 degrees of freedom and MINIMUM_PIXEL_SIGMA (pixel_scale model-input pixels per image pixel) as its
    floor). The error is differentiable in the keypoints and their peak logits; the confidence in the peak logits only:
    with the keypoints free too, a crop could lower its confidence by moving its keypoints apart."""
    n, k = residuals.shape[:2]
    # ln(sigmoid(p)) = -softplus(-p), without sigmoid's underflow.
    weights = weight_of_log_score(-F.softplus(-peaks))
    weights = (weights / weights.mean(dim=1, keepdim=True)).repeat_interleave(2, dim=1).unsqueeze(2)
    r = residuals.reshape(n, -1, 1)
    normal = jacobians.transpose(1, 2) @ (weights * jacobians)
    ridge = 1e-6 * torch.eye(6, dtype=normal.dtype, device=normal.device)
    inverse = torch.linalg.inv(normal + ridge)
    step = inverse @ (jacobians.transpose(1, 2) @ (weights * r))
    fixed = r.detach()
    left = fixed - jacobians @ (inverse @ (jacobians.transpose(1, 2) @ (weights * fixed)))
    sigma2 = ((weights * left ** 2).sum(dim=(1, 2)) / (2 * k - 6)).clamp_min((MINIMUM_PIXEL_SIGMA * pixel_scale) ** 2)
    # The Jacobian is in tolerances already, so the covariance's deviations are too.
    deviation = torch.stack([inverse[:, :3, :3].diagonal(dim1=1, dim2=2).sum(1),
                             inverse[:, 3:, 3:].diagonal(dim1=1, dim2=2).sum(1)], dim=1)
    units = (sigma2.unsqueeze(1) * deviation).sqrt().amax(dim=1)
    confidence = torch.sigmoid(peaks).mean(dim=1) * torch.exp(-units)
    return step.squeeze(2).norm(dim=1), confidence


def confidence_ranking_loss(confidence, error):
    """How often a crop whose pose misses the tolerance (error >= 1) outranks, in confidence, one that meets it: the
    mean of softplus(ln c_miss - ln c_meet) over all such pairs of the batch (0 without both kinds). The threshold cuts
    the confidence, so its order is what decides how many frames are served right and how many wrong."""
    log_c = confidence.clamp_min(1e-12).log()
    meet = error < 1
    if meet.all() or not meet.any():
        return log_c.sum() * 0
    return F.softplus(log_c[~meet].unsqueeze(1) - log_c[meet].unsqueeze(0)).mean()


def pose_metrics(pred_uv, ids, root, split, scores=None):
    """Position/angle error through the same PnP the runtime runs (EPnP, then refined with the keypoints weighted by
    their scores; all alike without scores), on the held-out split. With scores, also what a confidence threshold makes
    of them: the most frames served within tolerance while at most WRONG_POSE_LIMIT are served outside it, the frames
    ranked by the runtime's confidence (runtime_confidence)."""
    gt, cams, camera = read_poses(root, split)
    object_points = box_keypoints(root)
    pos, ang, confidence = [], [], []
    for n, (p, i) in enumerate(zip(pred_uv, ids)):
        k = np.array(cams[str(i)]["cam_K"], np.float64).reshape(3, 3)
        pixels = to_image_pixels(p, camera["width"], camera["height"])
        pose = solve_pose(object_points, pixels, k, None if scores is None else scores[n])
        truth = gt[str(i)][0]
        if pose is None:
            pos.append(np.inf)
            ang.append(180.0)
            confidence.append(0.0)
            continue
        r, t = pose
        pos.append(float(np.linalg.norm(t - np.array(truth["cam_t_m2c"]) / 1000)))
        cos = (np.trace(np.array(truth["cam_R_m2c"]).reshape(3, 3).T @ r) - 1) / 2
        ang.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))))
        if scores is not None:
            confidence.append(runtime_confidence(object_points, pixels, k, r, t, scores[n]))
    pos, ang = np.array(pos), np.array(ang)
    within = (pos < 0.01) & (ang < 5)
    metrics = {
        "frames": int(len(pos)),
        "position_error_m": {"median": float(np.median(pos)), "p90": float(np.percentile(pos, 90))},
        "angle_error_deg": {"median": float(np.median(ang)), "p90": float(np.percentile(ang, 90))},
        "within_1cm_5deg": float(within.mean()),
    }
    if scores is not None:
        # Served in confidence order: each prefix is what one threshold serves (a frame without a pose never is).
        order = np.argsort(-np.array(confidence), kind="stable")
        served = np.isfinite(pos)[order]
        ready = np.cumsum(within[order]) / len(pos)
        wrong = np.cumsum(served & ~within[order]) / len(pos)
        allowed = wrong <= WRONG_POSE_LIMIT
        metrics["ready_at_wrong_limit"] = float(ready[allowed].max()) if allowed.any() else 0.0
    return metrics


def runtime_confidence(object_points, pixels, k, r, t, scores):
    """OnnxPoseModel's confidence of pose (r, t) solved from these keypoints (image pixels): the mean score times
    GraspTolerance.Confidence of PnpSolver's covariance σ²(JᵀWJ)⁻¹ (weights scaled to a mean of 1, σ² the weighted
    squared residuals over 2K − 6, at least MINIMUM_PIXEL_SIGMA²), exp(−the larger of its position and angle deviations
    in tolerances), from the keypoints scored at least KEYPOINT_SCORE_FLOOR; 0 where too few are (no pose served)."""
    kept = np.asarray(scores) >= KEYPOINT_SCORE_FLOOR
    if kept.sum() < MINIMUM_KEYPOINTS:
        return 0.0
    mean_score = np.clip(np.mean(scores), 0, 1)
    object_points, pixels, scores = object_points[kept], pixels[kept], np.asarray(scores)[kept]
    weights = keypoint_weights(scores)
    weights = np.repeat(weights / weights.mean(), 2)
    residuals, _ = reprojection_residuals(object_points, pixels, k, r, t)
    jac = frame_pose_jacobian(object_points, r, t, k)
    sigma2 = max((weights * residuals ** 2).sum() / (len(residuals) - 6), MINIMUM_PIXEL_SIGMA ** 2)
    try:
        covariance = sigma2 * np.linalg.inv(jac.T @ (weights[:, None] * jac))
    except np.linalg.LinAlgError:
        return 0.0
    variances = np.array([np.trace(covariance[:3, :3]), np.trace(covariance[3:, 3:])])
    if not np.all(np.isfinite(variances) & (variances > 0)):
        # Degenerate geometry: PnpSolver reports an infinite covariance.
        return 0.0
    units = np.sqrt(variances).max()
    return float(mean_score * np.exp(-units))


def box_keypoints(root):
    with open(os.path.join(root, "models", "models_info.json")) as f:
        info = json.load(f)["1"]
    sx, sy, sz = info["size_x"] / 2000, info["size_y"] / 2000, info["size_z"] / 2000
    corners = [(-1, -1, -1), (1, -1, -1), (1, 1, -1), (-1, 1, -1), (-1, -1, 1), (1, -1, 1), (1, 1, 1), (-1, 1, 1)]
    return np.array([(a * sx, b * sy, c * sz) for a, b, c in corners] + [(0, 0, 0)], np.float64)


def solve_pose(object_points, pixels, k, scores=None):
    """EPnP, then Levenberg-Marquardt on the reprojection error: OpenCV's with no scores, else weighted by them as the
    runtime weighs them (keypoint_weights). (R, t) or None."""
    ok, rvec, tvec = cv2.solvePnP(object_points, pixels, k, None, flags=cv2.SOLVEPNP_EPNP)
    if not ok:
        return None
    if scores is not None:
        return weighted_refine(object_points, pixels, k, keypoint_weights(scores), cv2.Rodrigues(rvec)[0], tvec.ravel())
    ok, rvec, tvec = cv2.solvePnP(object_points, pixels, k, None, rvec, tvec, True, cv2.SOLVEPNP_ITERATIVE)
    return (cv2.Rodrigues(rvec)[0], tvec.ravel()) if ok else None


def keypoint_weights(scores):
    """1 / (ln(s)^2 + softness^2), as OnnxPoseModel weighs keypoints (models/contract.json's keypoint_weighting)."""
    return weight_of_log_score(np.log(np.maximum(np.asarray(scores, np.float64), np.finfo(np.float32).smallest_subnormal)))


def weight_of_log_score(log_scores):
    """keypoint_weights from ln(s), NumPy or PyTorch alike (the pose loss has ln(s) from the logits directly)."""
    return 1 / (log_scores ** 2 + KEYPOINT_WEIGHT_SOFTNESS ** 2)


def projection_jacobian(camera_points, rotated, fx, fy):
    """d(pixel)/d(pose) of each point [P, 2, 6]: translation, then rotation updated as R' = exp([d]x) R; camera_points
    = R X + t, rotated = R X."""
    x, y, z = camera_points.T
    jac = np.zeros((len(camera_points), 2, 6))
    jac[:, 0, 0], jac[:, 0, 2] = fx / z, -fx * x / z ** 2
    jac[:, 1, 1], jac[:, 1, 2] = fy / z, -fy * y / z ** 2
    # d(pixel)/d(rotation) = d(pixel)/d(point) . -[R X]x
    jac[:, :, 3:] = np.cross(rotated[:, None, :], jac[:, :, :3])
    return jac


def weighted_refine(object_points, pixels, k, weights, r, t, iterations=50):
    """Levenberg-Marquardt on the weighted squared reprojection error, the rotation updated as R' = exp([d]x) R, as
    PnpSolver refines: (R, t)."""
    w = np.repeat(weights / weights.mean(), 2)

    def residuals(r, t):
        return reprojection_residuals(object_points, pixels, k, r, t)

    res, camera = residuals(r, t)
    cost, damping = (w * res ** 2).sum(), 1e-3
    for _ in range(iterations):
        jac = projection_jacobian(camera, object_points @ r.T, k[0, 0], k[1, 1]).reshape(-1, 6)
        normal, gradient = jac.T @ (w[:, None] * jac), jac.T @ (w * res)
        while damping <= 1e10:
            step = np.linalg.solve(normal + damping * np.diag(np.diag(normal)), -gradient)
            candidate_r, _ = cv2.Rodrigues(step[3:])
            candidate = (candidate_r @ r, t + step[:3])
            candidate_res, candidate_camera = residuals(*candidate)
            candidate_cost = (w * candidate_res ** 2).sum()
            if candidate_cost < cost:
                converged = cost - candidate_cost <= 1e-12 * cost
                (r, t), res, camera, cost = candidate, candidate_res, candidate_camera, candidate_cost
                damping = max(damping / 10, 1e-12)
                break
            damping *= 10
        else:
            break
        if converged:
            break
    return r, t


def reprojection_residuals(object_points, pixels, k, r, t):
    """Projected minus observed pixels [2P] (u0, v0, u1, ...) of pose (r, t) without distortion, and the points in the
    camera frame."""
    camera = object_points @ r.T + t
    projected = camera[:, :2] / camera[:, 2:3] * (k[0, 0], k[1, 1]) + (k[0, 2], k[1, 2])
    return (projected - pixels).ravel(), camera


def reprojection_rms(object_points, pixels, k, r, t, weights):
    """RMS reprojection error, each point weighted (weights scaled to a mean of 1), as PnpSolver reports it."""
    projected, _ = cv2.projectPoints(object_points, cv2.Rodrigues(r)[0], t, k, None)
    return float(np.sqrt((weights / weights.mean() * ((projected.reshape(-1, 2) - pixels) ** 2).sum(axis=1)).mean()))


def predict(head, frames, device, batch=25):
    head.eval()
    out, scores = [], []
    with torch.no_grad():
        for s in range(0, len(frames), batch):
            keypoints, score = head(normalise(frames[s:s + batch], device).contiguous(memory_format=torch.channels_last))
            out.append(keypoints.cpu().numpy())
            scores.append(score.cpu().numpy())
    head.train()
    return np.concatenate(out), np.concatenate(scores)


def refine_true_boxes(net, frames, keypoints, device, batch=25):
    """The refiner alone, on crops framed on the true box, and its scores (one view: no spread): separates the refiner's
    error from the locator's."""
    centres, extents = true_boxes(keypoints)
    sides = torch.clamp(extents * CROP_MARGIN, min=MIN_CROP_PX).float()
    input_size = torch.tensor([INPUT_WIDTH, INPUT_HEIGHT], dtype=torch.float32, device=device)
    net.eval()
    out, scores = [], []
    with torch.no_grad():
        for s in range(0, len(frames), batch):
            centre, side = centres[s:s + batch].to(device), sides[s:s + batch].to(device)
            crops = cut_crops(normalise(frames[s:s + batch], device), centre, side)
            local, _, peak = net.refine(crops.contiguous(memory_format=torch.channels_last))
            out.append(uncrop(local, centre, side, input_size).cpu().numpy())
            scores.append(torch.sigmoid(peak).cpu().numpy())
    net.train()
    return np.concatenate(out), np.concatenate(scores)


# A parity frame must be well-conditioned: ONNX Runtime's kernels round differently from PyTorch's, and on a frame whose
# outputs move by more than a quarter of the parity tolerance when the input moves by PARITY_PROBE_NOISE (normalised
# units) that rounding alone can exceed the tolerance, so the frame could not tell a wrong runtime from a right one.
PARITY_TOLERANCE = 1e-4
PARITY_PROBE_NOISE = 1e-5
PARITY_FRAMES_TRIED = 50


def write_parity_fixture(head, root, split, out_dir, count=2):
    """The first `count` well-conditioned frames of the held-out split (PARITY_PROBE_NOISE) with PyTorch's outputs and
    decoded pose, for tests/…/ModelParityTests."""
    os.makedirs(out_dir, exist_ok=True)
    scene = os.path.join(root, split, "000000")
    with open(os.path.join(scene, "scene_camera.json")) as f:
        cams = json.load(f)
    object_points = box_keypoints(root)
    entries = []
    head.eval()
    probe = torch.Generator().manual_seed(0)
    tried = sorted(int(i) for i in cams)[:PARITY_FRAMES_TRIED]
    for i in tried:
        if len(entries) == count:
            break
        bgr = cv2.imread(os.path.join(scene, "rgb", f"{i:06d}.png"), cv2.IMREAD_COLOR)
        image = letterbox_tensor(bgr).unsqueeze(0)
        with torch.no_grad():
            keypoints, scores = head(image)
            moved_keypoints, moved_scores = head(image + PARITY_PROBE_NOISE * torch.randn(image.shape, generator=probe))
        moved = max(float((moved_keypoints - keypoints).abs().max()), float((moved_scores - scores).abs().max()))
        if moved > PARITY_TOLERANCE / 4:
            print(f"parity fixture: frame {i} skipped, ill-conditioned (outputs move {moved:.1e} for input noise "
                  f"{PARITY_PROBE_NOISE:.0e})", flush=True)
            continue
        name = f"parity_{len(entries)}.png"
        cv2.imwrite(os.path.join(out_dir, name), bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        entry = {"image": name, "keypoints": keypoints[0].numpy().astype(float).round(7).tolist(),
                 "scores": scores[0].numpy().astype(float).round(7).tolist()}
        k = np.array(cams[str(i)]["cam_K"], np.float64).reshape(3, 3)
        pixels = to_image_pixels(keypoints[0].numpy().astype(np.float64), bgr.shape[1], bgr.shape[0])
        frame_scores = scores[0].numpy()
        pose = solve_pose(object_points, pixels, k, frame_scores)
        # Only a well-posed solve is a reference: an untrained smoke model's keypoints all sit within a pixel or two,
        # where PnP fits any far-away pose and two solvers legitimately disagree.
        spread = float((pixels.max(axis=0) - pixels.min(axis=0)).max())
        if pose is not None and spread > 16 and reprojection_rms(object_points, pixels, k, *pose, keypoint_weights(frame_scores)) < 2.0:
            entry["pose"] = {"cam_K": k.ravel().tolist(), "cam_R_m2c": pose[0].ravel().round(9).tolist(),
                             "cam_t_m": pose[1].round(9).tolist()}
        entries.append(entry)
    if len(entries) < count:
        raise SystemExit(f"parity fixture: only {len(entries)} of the first {len(tried)} frames of {split} are "
                         f"well-conditioned, {count} needed")
    with open(os.path.join(out_dir, "parity.json"), "w") as f:
        json.dump({"tolerance": PARITY_TOLERANCE, "frames": entries}, f, indent=1)


def fit(args, net, test, device, started, evaluate):
    """Trains both passes side by side until the epochs or --max-minutes run out: (last epoch, steps)."""
    train = read_split(args.data, args.train_split, args.max_frames, seed=args.seed)
    frames = len(train["ids"])
    print(f"train {frames} frames ({train['ctx_flat'].nbytes / 1e9:.2f} GB of object windows), test {len(test['ids'])} "
          f"frames, loaded in {time.time() - started:.0f} s", flush=True)
    box_centres, box_extents = true_boxes(train["keypoints"])
    box_centres, box_log_extents = box_centres.to(device), torch.log(box_extents / EXTENT_UNIT_PX).float().to(device)

    # A frozen locator takes no step time: the refiner's later passes reframe the object on its own keypoints, so the
    # locator only has to get the object into the first crop.
    optimizer = torch.optim.AdamW((net.refiner if args.freeze_locator else net).parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(frames / args.batch)
    total_steps = steps_per_epoch * args.epochs
    rng = np.random.default_rng(args.seed)
    # Background crops only when the frames left room for any (a frame filled by the object has none).
    negatives = max(1, args.batch // 8) if len(train["neg_offsets"]) > 1 else 0
    step, last_eval = 0, time.time()
    deadline = started + args.max_minutes * 60
    stats = np.zeros(7)
    jacobians, pixel_scale = (pose_jacobians(args.data, args.train_split, train["ids"])
                              if args.pose_loss > 0 or args.confidence_loss > 0 else (None, 1.0))
    jacobians = None if jacobians is None else jacobians.to(device)

    # Each frame's linearised pose error (in grasp tolerances) when it was last trained on; unseen frames count as one.
    # With --hard-frames, that share of each epoch is drawn in proportion to it: the wrong poses served are the tails
    # (a depth a centimetre off, far away or half covered), which uniform epochs visit as rarely as they occur.
    difficulty = np.ones(frames)
    epoch = -1
    for epoch in range(args.epochs):
        if args.hard_frames > 0:
            chance = (1 - args.hard_frames) / frames + args.hard_frames * difficulty / difficulty.sum()
            order = rng.choice(frames, size=frames, p=chance / chance.sum())
        else:
            order = rng.permutation(frames)
        for s in range(0, frames, args.batch):
            index = np.sort(order[s:s + args.batch])
            if args.freeze_locator:
                loss_l = coord_l = size_error = torch.zeros((), device=device)
            else:
                small = normalise(train["small"][index], device).contiguous(memory_format=torch.channels_last)
                maps = net.locator(small)
                loss_l, coord_l, _, _, _ = dsnt_loss(
                    maps[:, :1], box_centres[index].unsqueeze(1), torch.ones(len(index), device=device), hit_cells=1.0)
                # Size under the centre's heatmap, as at inference; the heatmap itself learns only from the centre loss.
                _, prob, _ = locator_outputs(maps.detach())
                size_error = ((prob[:, 0] * maps[:, 1]).sum(dim=(1, 2)) - box_log_extents[index]).abs().mean()
                loss_l = loss_l + 10 * size_error
            crops, targets, positive, sides = (t.to(device) for t in refiner_batch(train, index, rng, negatives, args.cutout))
            loss_r, coord_r, hits, pred, peak = dsnt_loss(
                net.refiner(crops.contiguous(memory_format=torch.channels_last)), targets, positive, hit_cells=HIT_CROP_PX / 2)
            if jacobians is not None:
                # The positives come first, in index's order.
                m = len(index)
                residuals = (pred[:m] - targets[:m]) * sides[:m].view(m, 1, 1)
                pose_error, confidence = linearised_pose_fit(jacobians[index], residuals, peak[:m], pixel_scale)
                if args.hard_frames > 0:
                    difficulty[index] = np.clip(pose_error.detach().cpu().numpy(), 0.05, 5.0)
                loss_r = loss_r + args.pose_loss * torch.log1p(pose_error).mean()
                if args.confidence_loss > 0:
                    ranking = confidence_ranking_loss(confidence, pose_error.detach())
                    loss_r = loss_r + args.confidence_loss * ranking
                    stats[6] += ranking.item()
                stats[5] += (pose_error < 1).float().mean().item()
            # Warm-up then cosine decay over whichever runs out first, the steps or the time budget, so a run cut
            # short by --max-minutes still ends at a low learning rate instead of mid-schedule.
            progress = min(1.0, max(step / total_steps, (time.time() - started) / (deadline - started)))
            warm = min(1.0, (step + 1) / 200)
            for group in optimizer.param_groups:
                group["lr"] = args.lr * warm * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))
            optimizer.zero_grad(set_to_none=True)
            (loss_l + loss_r).backward()
            optimizer.step()
            step += 1
            stats[:5] += (coord_l.item(), size_error.item(), coord_r.item(), hits.item(), 1)
            if step % 50 == 0:
                print(f"epoch {epoch} step {step}/{total_steps} "
                      + ("locator frozen" if args.freeze_locator else
                         f"locator centre L1 {stats[0] / stats[4]:.3f} cells, size {100 * stats[1] / stats[4]:.1f}%")
                      + f", refiner L1 {stats[2] / stats[4]:.3f} cells, hits {stats[3] / stats[4]:.2f}, "
                      + (f"within tolerance (linearised) {stats[5] / stats[4]:.2f}, " if jacobians is not None else "")
                      + (f"confidence ranking {stats[6] / stats[4]:.3f}, " if args.confidence_loss > 0 else "")
                      + f"{(time.time() - started) / 60:.1f} min", flush=True)
                stats[:] = 0
            if time.time() > deadline:
                break
        if time.time() > deadline:
            print("time budget reached; exporting what we have", flush=True)
            break
        if time.time() - last_eval > args.eval_minutes * 60:
            evaluate(epoch, step)
            last_eval = time.time()
    return epoch, step


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="edgepose-lab render output (BOP layout) with train and test splits")
    parser.add_argument("--train-split", default="train")
    parser.add_argument("--test-split", default="test")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=32, help="frames per step for each of the two passes")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-frames", type=int, default=None, help="use only the first N training frames (smoke runs)")
    parser.add_argument("--max-test-frames", type=int, default=None)
    parser.add_argument("--max-minutes", type=float, default=80, help="stop training (and export) after this long")
    parser.add_argument("--eval-minutes", type=float, default=20, help="held-out metrics at most this often")
    parser.add_argument("--cutout", type=float, default=0.0,
                        help="probability of painting an occluding rectangle over each refiner training crop")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--version", default=None, help="edgepose.model_version metadata (default: date + seed)")
    parser.add_argument("--parity-fixture", default=None, help="write parity reference outputs to this folder")
    parser.add_argument("--init", nargs="+", default=None,
                        help="start from these weights (a .pt written by an earlier run) instead of scratch; several are "
                             "averaged, parameter by parameter (runs continued from the same weights stay close enough for "
                             "their mean to be a model, often a better one than each)")
    parser.add_argument("--refine-passes", type=int, default=REFINE_PASSES, choices=(1, 2, 3),
                        help="refiner passes in the exported graph, each after the first on a crop framed on the keypoints "
                             "before it (posenet.REFINE_PASSES, chosen on the validation splits)")
    parser.add_argument("--views", type=int, default=VIEWS, choices=(1, 4, 5),
                        help="shifted crops the last pass averages (posenet.VIEWS)")
    parser.add_argument("--pose-loss", type=float, default=0.0,
                        help="weight of the pose-level loss: the refiner's keypoints and scores judged by the pose error a "
                             "score-weighted PnP would make from them, in grasp tolerances (0: off)")
    parser.add_argument("--confidence-loss", type=float, default=0.0,
                        help="weight of the confidence ranking loss: the scores learn to give the crops whose linearised "
                             "pose misses the grasp tolerance a lower confidence (OnnxPoseModel's) than those that meet it (0: off)")
    parser.add_argument("--freeze-locator", action="store_true",
                        help="train the refiner alone, the locator as --init left it (a continuation: every step goes to the "
                             "keypoints, which decide the pose)")
    parser.add_argument("--hard-frames", type=float, default=0.0,
                        help="share of each epoch drawn in proportion to each frame's pose error when last trained on, the "
                             "rest uniformly (0: plain shuffled epochs; needs --pose-loss)")
    parser.add_argument("--keep-best", action="store_true",
                        help="export the weights of the evaluation with the most --test-split frames ready under a confidence "
                             "threshold that serves at most WRONG_POSE_LIMIT wrong, not the last ones")
    parser.add_argument("--save-evaluated", action="store_true",
                        help="also write the weights of every evaluation (OUT.stepN.pt), so that a larger validation set "
                             "than --test-split can choose among them afterwards (--export-only --init OUT.stepN.pt)")
    parser.add_argument("--export-only", action="store_true",
                        help="no training: evaluate the --init weights, export them with this head and write the records")
    args = parser.parse_args()
    if args.export_only and not args.init:
        parser.error("--export-only exports the weights given by --init")
    if not 0 <= args.hard_frames <= 1:
        parser.error("--hard-frames is a share, from 0 to 1")
    if args.hard_frames > 0 and args.pose_loss <= 0 and args.confidence_loss <= 0:
        parser.error("--hard-frames weighs frames by the linearised pose error, computed only with --pose-loss or --confidence-loss: give one")
    if args.freeze_locator and not args.init:
        parser.error("--freeze-locator keeps the locator of the weights given by --init")
    # Now, not at the export hours later: a run must not train to the end and then fail to write.
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    started = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"device {device}, threads {torch.get_num_threads()}", flush=True)

    test = read_split(args.data, args.test_split, args.max_test_frames, full_frames=True)
    net = PoseNet()
    if args.init:
        states = [torch.load(path, map_location="cpu") for path in args.init]
        net.load_state_dict({key: sum(state[key] for state in states) / len(states) if states[0][key].is_floating_point()
                             else states[0][key] for key in states[0]})
        print(f"initialised from {' + '.join(args.init)}" + (" (their mean)" if len(states) > 1 else ""), flush=True)
    net = net.to(device, memory_format=torch.channels_last)
    head = ContractHead(net, args.refine_passes, args.views)
    history = []
    # The weights at the evaluation that scored best on --test-split (a validation split: choosing by it is what it is
    # for): on a 2-core CPU the curve can peak before the time budget ends, and the last weights are then not the best.
    # Best by what a threshold makes of them (ready_at_wrong_limit), which is what decides between models, rather than
    # by the poses alone. A tie goes to the later weights, trained longer at a lower learning rate.
    best = {"ready_at_wrong_limit": -1.0}

    def evaluate(epoch, step):
        pred, scores = predict(head, test["frames"], device)
        metrics = pose_metrics(pred, test["ids"], args.data, args.test_split, scores)
        metrics["mean_score"] = float(scores.mean())
        true_box_keypoints, true_box_scores = refine_true_boxes(net, test["frames"], test["keypoints"], device)
        metrics["refiner_on_true_boxes"] = pose_metrics(true_box_keypoints, test["ids"], args.data, args.test_split, true_box_scores)
        history.append({"epoch": epoch, "steps": step, "minutes": (time.time() - started) / 60, "test": metrics})
        print(json.dumps(history[-1]), flush=True)
        if args.save_evaluated:
            torch.save(net.state_dict(), f"{args.out}.step{step}.pt")
        if args.keep_best and metrics["ready_at_wrong_limit"] >= best["ready_at_wrong_limit"]:
            best.update(ready_at_wrong_limit=metrics["ready_at_wrong_limit"], within_1cm_5deg=metrics["within_1cm_5deg"], steps=step,
                        state={k: v.detach().clone() for k, v in net.state_dict().items()})

    epoch, step = (-1, 0) if args.export_only else fit(args, net, test, device, started, evaluate)
    evaluate(epoch, step)
    exported = {"steps": step, "within_1cm_5deg": history[-1]["test"]["within_1cm_5deg"],
                "ready_at_wrong_limit": history[-1]["test"]["ready_at_wrong_limit"]}
    if args.keep_best and best["steps"] != step:
        net.load_state_dict(best["state"])
        exported = {k: best[k] for k in ("steps", "within_1cm_5deg", "ready_at_wrong_limit")}
        print(f"exporting the weights of step {best['steps']} ({100 * best['ready_at_wrong_limit']:.1f}% ready at "
              f"{100 * WRONG_POSE_LIMIT:.2f}% wrong), not the last ({100 * history[-1]['test']['ready_at_wrong_limit']:.1f}%)", flush=True)

    net = net.to("cpu", memory_format=torch.contiguous_format).eval()
    version = args.version or time.strftime("%Y%m%d") + f"-seed{args.seed}"
    export(net, args.out, version=version, refine_passes=args.refine_passes, views=args.views)
    # The weights themselves, so a later run can continue from here (--init) on a machine with more time or a GPU.
    torch.save(net.state_dict(), args.out + ".pt")
    if args.parity_fixture:
        write_parity_fixture(ContractHead(net, args.refine_passes, args.views).eval(), args.data, args.test_split, args.parity_fixture)
    with open(args.out + ".training.json", "w") as f:
        json.dump({"args": vars(args), "minutes": (time.time() - started) / 60, "steps": step, "exported": exported,
                   "history": history}, f, indent=1)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB) in {(time.time() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
