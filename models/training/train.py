"""Train the EdgePose keypoint network on an `edgepose render` dataset (BOP layout) and export the ONNX model.

    /usr/bin/python3 models/training/train.py --data DATA_DIR --out models/edgepose-box.onnx

Reproducible: fixed seed, single-process data pipeline. Uses a CUDA GPU when one is present, else the CPU.
Writes, beside the model: <out>.training.json (loss curve, held-out metrics, timing) and, with --parity-fixture DIR,
reference outputs that the C# parity test compares the runtime against.
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

from posenet import ContractHead, PoseNet, export, MEAN, STD

KEYPOINTS = 9


def letterbox_geometry(width, height, size):
    """Mirrors src/EdgePose.Runtime/Inference/Letterbox.cs exactly (rounding included)."""
    scale = min(size / width, size / height)
    w = min(max(int(round_half_away(width * scale)), 1), size)
    h = min(max(int(round_half_away(height * scale)), 1), size)
    x, y = (size - w) // 2, (size - h) // 2
    return x, y, w, h, w / width, h / height


def round_half_away(v):
    # .NET Math.Round defaults to banker's rounding; sizes here are never exactly .5, but keep the same function.
    return float(np.round(v))


def letterbox(image_bgr, size):
    """BGR uint8 -> normalised float32 CHW tensor, as LetterboxTensor.Fill does (linear resize, zero padding after normalisation)."""
    height, width = image_bgr.shape[:2]
    x, y, w, h, _, _ = letterbox_geometry(width, height, size)
    resized = cv2.resize(image_bgr, (w, h), interpolation=cv2.INTER_LINEAR)
    rgb = resized[:, :, ::-1].astype(np.float32) / 255.0
    rgb = (rgb - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    tensor = np.zeros((3, size, size), np.float32)
    tensor[:, y:y + h, x:x + w] = rgb.transpose(2, 0, 1)
    return tensor


def to_model_coords(points, width, height, size):
    """Image pixels (OpenCV: pixel centres at integers) -> normalised model input coordinates."""
    x, y, _, _, sx, sy = letterbox_geometry(width, height, size)
    u = ((points[:, 0] + 0.5) * sx + x) / size
    v = ((points[:, 1] + 0.5) * sy + y) / size
    return np.stack([u, v], axis=1)


def load_split(root, split, size, limit=None):
    """Letterboxed uint8 images and normalised keypoints, cached as .npy beside the split (re-rendering invalidates it)."""
    scene = os.path.join(root, split, "000000")
    with open(os.path.join(scene, "scene_edgepose.json")) as f:
        extra = json.load(f)
    with open(os.path.join(scene, "scene_gt.json")) as f:
        gt = json.load(f)
    ids = sorted(int(k) for k in extra.keys())
    if limit:
        ids = ids[:limit]
    cache = os.path.join(scene, f"cache_{size}_{len(ids)}.npz")
    if os.path.exists(cache) and os.path.getmtime(cache) > os.path.getmtime(os.path.join(scene, "scene_edgepose.json")):
        data = np.load(cache)
        return data["images"], data["keypoints"], data["ids"]
    images = np.zeros((len(ids), size, size, 3), np.uint8)
    keypoints = np.zeros((len(ids), KEYPOINTS, 2), np.float32)
    for n, i in enumerate(ids):
        bgr = cv2.imread(os.path.join(scene, "rgb", f"{i:06d}.png"), cv2.IMREAD_COLOR)
        height, width = bgr.shape[:2]
        x, y, w, h, _, _ = letterbox_geometry(width, height, size)
        images[n, y:y + h, x:x + w] = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR)
        keypoints[n] = to_model_coords(np.array(extra[str(i)][0]["keypoints_2d"], np.float64), width, height, size)
        assert gt[str(i)][0]["obj_id"] == extra[str(i)][0]["obj_id"]
    np.savez(cache, images=images, keypoints=keypoints, ids=np.array(ids))
    return images, keypoints, np.array(ids)


def to_tensor(batch_uint8, device, content):
    """uint8 NHWC BGR letterboxed -> normalised NCHW RGB with the padding 0 after normalisation, as at run time."""
    x0, y0, w, h = content
    x = torch.from_numpy(batch_uint8).to(device).float() / 255.0
    x = (x[..., [2, 1, 0]] - torch.tensor(MEAN, device=device)) / torch.tensor(STD, device=device)
    x = x.permute(0, 3, 1, 2)
    out = torch.zeros_like(x)
    out[:, :, y0:y0 + h, x0:x0 + w] = x[:, :, y0:y0 + h, x0:x0 + w]
    return out.contiguous()


def losses(head, images, targets, sigma_px=1.5):
    logits = head.net(images)
    n, k, h, w = logits.shape
    prob = torch.softmax(logits.reshape(n, k, h * w), dim=2).reshape(n, k, h, w)
    xs = (torch.arange(w, device=images.device, dtype=logits.dtype) + 0.5) / w
    ys = (torch.arange(h, device=images.device, dtype=logits.dtype) + 0.5) / h
    u = (prob.sum(dim=2) * xs).sum(dim=2)
    v = (prob.sum(dim=3) * ys).sum(dim=2)
    pred = torch.stack([u, v], dim=2)
    coord = (pred - targets).abs().sum(dim=2).mean() * w
    # Keep the mass concentrated around the target (DSNT's regulariser): a Gaussian of sigma_px heatmap cells.
    gx = torch.exp(-((xs.view(1, 1, 1, w) - targets[..., 0].view(n, k, 1, 1)) * w) ** 2 / (2 * sigma_px ** 2))
    gy = torch.exp(-((ys.view(1, 1, h, 1) - targets[..., 1].view(n, k, 1, 1)) * h) ** 2 / (2 * sigma_px ** 2))
    g = gx * gy
    g = g / g.sum(dim=(2, 3), keepdim=True).clamp_min(1e-12)
    js = 0.5 * (F.kl_div((0.5 * (prob + g)).clamp_min(1e-12).log(), prob, reduction="batchmean")
                + F.kl_div((0.5 * (prob + g)).clamp_min(1e-12).log(), g, reduction="batchmean")) / k
    # Confidence learns to predict whether the keypoint landed within 2 input pixels of the truth.
    with torch.no_grad():
        hit = ((pred - targets).norm(dim=2) * images.shape[-1] < 2.0).float()
    score_logits = logits.reshape(n, k, h * w).max(dim=2).values
    score = F.binary_cross_entropy_with_logits(score_logits, hit)
    return coord + js + 0.1 * score, coord.detach(), pred.detach()


def pose_metrics(pred_norm, ids, root, split, size):
    """Position/angle error through the same PnP the runtime runs (EPnP then iterative), on the held-out split."""
    scene = os.path.join(root, split, "000000")
    with open(os.path.join(scene, "scene_gt.json")) as f:
        gt = json.load(f)
    with open(os.path.join(scene, "scene_camera.json")) as f:
        cams = json.load(f)
    with open(os.path.join(root, "camera.json")) as f:
        camera = json.load(f)
    with open(os.path.join(root, "models", "models_info.json")) as f:
        info = json.load(f)["1"]
    sx, sy, sz = info["size_x"] / 2000, info["size_y"] / 2000, info["size_z"] / 2000
    corners = [(-1, -1, -1), (1, -1, -1), (1, 1, -1), (-1, 1, -1), (-1, -1, 1), (1, -1, 1), (1, 1, 1), (-1, 1, 1)]
    object_points = np.array([(a * sx, b * sy, c * sz) for a, b, c in corners] + [(0, 0, 0)], np.float64)
    width, height = camera["width"], camera["height"]
    x0, y0, _, _, scx, scy = letterbox_geometry(width, height, size)
    pos, ang = [], []
    for p, i in zip(pred_norm, ids):
        k = np.array(cams[str(i)]["cam_K"], np.float64).reshape(3, 3)
        pixels = np.stack([(p[:, 0] * size - x0) / scx - 0.5, (p[:, 1] * size - y0) / scy - 0.5], axis=1)
        ok, rvec, tvec = cv2.solvePnP(object_points, pixels, k, None, flags=cv2.SOLVEPNP_EPNP)
        if ok:
            ok, rvec, tvec = cv2.solvePnP(object_points, pixels, k, None, rvec, tvec, True, cv2.SOLVEPNP_ITERATIVE)
        truth = gt[str(i)][0]
        t_true = np.array(truth["cam_t_m2c"]) / 1000
        r_true = np.array(truth["cam_R_m2c"]).reshape(3, 3)
        if not ok:
            pos.append(np.inf)
            ang.append(180.0)
            continue
        r, _ = cv2.Rodrigues(rvec)
        pos.append(float(np.linalg.norm(tvec.ravel() - t_true)))
        cos = (np.trace(r_true.T @ r) - 1) / 2
        ang.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))))
    pos, ang = np.array(pos), np.array(ang)
    ok = (pos < 0.01) & (ang < 5)
    return {
        "frames": int(len(pos)),
        "position_error_m": {"median": float(np.median(pos)), "p90": float(np.percentile(pos, 90))},
        "angle_error_deg": {"median": float(np.median(ang)), "p90": float(np.percentile(ang, 90))},
        "within_1cm_5deg": float(ok.mean()),
    }


def predict(head, images, device, content, batch=64):
    head.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(images), batch):
            keypoints, _ = head(to_tensor(images[s:s + batch], device, content))
            out.append(keypoints.cpu().numpy())
    head.train()
    return np.concatenate(out)


def write_parity_fixture(head, root, split, size, out_dir, count=2):
    """Frames of the held-out split with PyTorch's outputs, for tests/…/ModelParityTests."""
    os.makedirs(out_dir, exist_ok=True)
    scene = os.path.join(root, split, "000000")
    entries = []
    head.eval()
    for i in range(count):
        bgr = cv2.imread(os.path.join(scene, "rgb", f"{i:06d}.png"), cv2.IMREAD_COLOR)
        name = f"parity_{i}.png"
        cv2.imwrite(os.path.join(out_dir, name), bgr)
        tensor = torch.from_numpy(letterbox(bgr, size)).unsqueeze(0)
        with torch.no_grad():
            keypoints, scores = head(tensor)
        entries.append({"image": name, "keypoints": keypoints[0].numpy().astype(float).round(7).tolist(),
                        "scores": scores[0].numpy().astype(float).round(7).tolist()})
    with open(os.path.join(out_dir, "parity.json"), "w") as f:
        json.dump({"tolerance": 1e-4, "frames": entries}, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="edgepose render output (BOP layout) with train and test splits")
    parser.add_argument("--train-split", default="train")
    parser.add_argument("--test-split", default="test")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-frames", type=int, default=None, help="use only the first N training frames (smoke runs)")
    parser.add_argument("--max-test-frames", type=int, default=None)
    parser.add_argument("--max-minutes", type=float, default=85, help="stop training (and export) after this long")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--version", default=None, help="edgepose.model_version metadata (default: date + seed)")
    parser.add_argument("--parity-fixture", default=None, help="write parity reference outputs to this folder")
    parser.add_argument("--init", default=None, help="start from these weights (a .pt written by an earlier run) instead of scratch")
    args = parser.parse_args()

    started = time.time()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"device {device}, threads {torch.get_num_threads()}", flush=True)

    images, targets, _ = load_split(args.data, args.train_split, args.size, args.max_frames)
    with open(os.path.join(args.data, "camera.json")) as f:
        camera = json.load(f)
    content = letterbox_geometry(camera["width"], camera["height"], args.size)[:4]
    test_images, test_targets, test_ids = load_split(args.data, args.test_split, args.size, args.max_test_frames)
    print(f"train {len(images)} frames, test {len(test_images)} frames, loaded in {time.time() - started:.0f} s", flush=True)

    net = PoseNet().to(device)
    if args.init:
        net.load_state_dict(torch.load(args.init, map_location=device))
        print(f"initialised from {args.init}", flush=True)
    head = ContractHead(net).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(images) / args.batch)
    total_steps = steps_per_epoch * args.epochs
    rng = np.random.default_rng(args.seed)
    history = []
    step = 0
    deadline = started + args.max_minutes * 60
    for epoch in range(args.epochs):
        order = rng.permutation(len(images))
        running, count = 0.0, 0
        for s in range(0, len(order), args.batch):
            index = np.sort(order[s:s + args.batch])
            batch = to_tensor(images[index], device, content)
            target = torch.from_numpy(targets[index]).to(device)
            loss, coord, _ = losses(head, batch, target)
            # Warm-up then cosine decay over whichever runs out first, the steps or the time budget, so a run cut
            # short by --max-minutes still ends at a low learning rate instead of mid-schedule.
            progress = min(1.0, max(step / total_steps, (time.time() - started) / (deadline - started)))
            warm = min(1.0, step / 200)
            for group in optimizer.param_groups:
                group["lr"] = args.lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            running += coord.item()
            count += 1
            if step % 50 == 0:
                print(f"epoch {epoch} step {step}/{total_steps} coord-L1 {running / count:.3f} heatmap cells, "
                      f"{(time.time() - started) / 60:.1f} min", flush=True)
            if time.time() > deadline:
                break
        metrics = pose_metrics(predict(head, test_images, device, content), test_ids, args.data, args.test_split, args.size)
        history.append({"epoch": epoch, "steps": step, "coord_l1_cells": running / max(count, 1), "test": metrics,
                        "minutes": (time.time() - started) / 60})
        print(json.dumps(history[-1]), flush=True)
        if time.time() > deadline:
            print("time budget reached; exporting what we have", flush=True)
            break

    head.eval()
    net.cpu()
    version = args.version or time.strftime("%Y%m%d") + f"-seed{args.seed}"
    export(net, args.out, args.size, version=version)
    # The weights themselves, so a later run can continue from here (--init) on a machine with more time or a GPU.
    torch.save(net.state_dict(), args.out + ".pt")
    if args.parity_fixture:
        write_parity_fixture(ContractHead(net).eval(), args.data, args.test_split, args.size, args.parity_fixture)
    with open(args.out + ".training.json", "w") as f:
        json.dump({"args": vars(args), "device": str(device), "minutes": (time.time() - started) / 60,
                   "history": history}, f, indent=1)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB) in {(time.time() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
