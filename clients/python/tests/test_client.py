"""EdgePoseClient against the real daemon."""

import subprocess
import sys
import time
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest

from conftest import OBJECT_ID, Daemon, free_port
from edgepose_client import (EdgePoseClient, EdgePoseError, Intrinsics, InvalidRequestError, PoseSource,
                             ReferenceFrame, ResourceExhaustedError, StalePoseError, TrackState, UnavailableError)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "grasp_loop.py"


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(a.T @ b) - 1) / 2, -1, 1))))


def test_latest_within_max_age_is_a_recent_result_for_the_object(client):
    result = client.latest(OBJECT_ID, max_age=10.0)
    assert [p.object_id for p in result.poses] == [OBJECT_ID]
    assert abs(time.time() - result.capture_time_ns / 1e9) < 10
    assert result.publish_time_ns >= result.capture_time_ns
    assert result.pose(OBJECT_ID).frame == ReferenceFrame.CAMERA
    assert result.synthetic


def test_live_results_carry_the_filtered_pose_next_to_the_raw_one(client):
    deadline = time.monotonic() + 30
    while True:
        pose = client.latest(OBJECT_ID).pose(OBJECT_ID)
        if pose.found and pose.filtered is not None and pose.filtered.state == TrackState.TRACKING:
            break
        assert time.monotonic() < deadline, f"no tracked pose in 30 s (last: {pose.filtered})"
        time.sleep(0.1)
    filtered = pose.filtered
    assert filtered.matrix.shape == (4, 4) and filtered.covariance.shape == (6, 6)
    assert np.linalg.norm(filtered.quaternion) == pytest.approx(1)
    assert np.linalg.norm(filtered.position - pose.position) < 0.05
    assert filtered.linear_velocity.shape == (3,) and filtered.since_sighting_s < 1


def test_latest_older_than_max_age_raises_stale_with_the_age(client):
    with pytest.raises(StalePoseError) as raised:
        client.latest(OBJECT_ID, max_age=1e-6)
    assert "older than max_age" in raised.value.details
    assert not isinstance(raised.value, (UnavailableError, InvalidRequestError))


@pytest.mark.parametrize("object_id, max_age, message", [
    ("no-such-object", None, "unknown object_id 'no-such-object'"),
    (OBJECT_ID, -1.0, "max_age must not be negative"),
], ids=["unknown-object", "negative-max-age"])
def test_latest_with_a_bad_request_raises_invalid(client, object_id, max_age, message):
    with pytest.raises(InvalidRequestError, match=message) as raised:
        client.latest(object_id, max_age=max_age)
    assert isinstance(raised.value, ValueError)


def test_stream_yields_results_in_order_and_stops_when_cancelled(client):
    with client.stream(OBJECT_ID) as stream:
        sequences = [result.frame_sequence for _, result in zip(range(5), stream)]
        stream.cancel()
        assert next(stream, None) is None
    assert sequences == sorted(set(sequences)), sequences


def test_stream_for_a_duration_ends_by_itself(client):
    started = time.monotonic()
    results = list(client.stream(OBJECT_ID, max_rate_hz=5, duration=1.5))
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 6, elapsed
    assert 1 <= len(results) <= 1.5 * 5 + 1, len(results)
    sequences = [r.frame_sequence for r in results]
    assert sequences == sorted(set(sequences)), sequences


def test_a_stream_raises_unavailable_when_the_daemon_stops():
    with Daemon() as daemon, EdgePoseClient(daemon.address) as client:
        stream = client.stream(OBJECT_ID)
        next(stream)
        assert daemon.stop() == 0
        with pytest.raises(UnavailableError):
            for _ in stream:
                pass


def test_stream_with_a_negative_rate_raises_invalid(client):
    with pytest.raises(InvalidRequestError, match="max_rate_hz"):
        next(client.stream(OBJECT_ID, max_rate_hz=-1))


def test_estimate_on_rendered_pngs_matches_the_ground_truth(client, rendered):
    found = 0
    for frame in rendered:
        pose = client.estimate(frame.png_path.read_bytes()).result.pose(OBJECT_ID)
        if not pose.found or pose.rotation_ambiguous:
            continue
        found += 1
        assert pose.filtered is None  # one image: nothing to filter over
        assert pose.source in (PoseSource.MODEL, PoseSource.BASELINE)
        assert np.linalg.norm(pose.position - frame.translation) < 0.02, (frame.png_path, pose.position)
        assert angle_deg(pose.rotation, frame.rotation) < 10, frame.png_path
    assert found >= 2, f"only {found} of {len(rendered)} rendered frames gave an unambiguous pose"


def test_estimate_accepts_a_numpy_bgr_image_and_jpeg_bytes(client, rendered):
    frame = rendered[0]
    bgr = cv2.imread(str(frame.png_path), cv2.IMREAD_COLOR)
    from_png = client.estimate(frame.png_path.read_bytes()).result.pose(OBJECT_ID)
    from_array = client.estimate(bgr).result.pose(OBJECT_ID)
    assert from_png.found and from_array.found
    # The same pixels (the client's PNG encoding is lossless, channel order kept) give the same pose.
    np.testing.assert_allclose(from_array.matrix, from_png.matrix, atol=1e-9)
    jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    from_jpeg = client.estimate(jpeg).result.pose(OBJECT_ID)
    assert from_jpeg.found and np.linalg.norm(from_jpeg.position - frame.translation) < 0.02


def test_estimate_with_intrinsics_and_overlay_returns_a_jpeg(client, rendered):
    frame = rendered[0]
    k = frame.camera
    camera_matrix = [[k["fx"], 0, k["cx"]], [0, k["fy"], k["cy"]], [0, 0, 1]]
    estimate = client.estimate(frame.png_path.read_bytes(), intrinsics=Intrinsics.from_matrix(camera_matrix),
                               overlay=True)
    pose = estimate.result.pose(OBJECT_ID)
    assert pose.found and np.linalg.norm(pose.position - frame.translation) < 0.02
    overlay = cv2.imdecode(np.frombuffer(estimate.overlay_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert overlay.shape == (k["height"], k["width"], 3)
    assert client.estimate(frame.png_path.read_bytes()).overlay_jpeg is None


@pytest.mark.parametrize("image, intrinsics, message", [
    (b"definitely not an image", None, "not a PNG or JPEG"),
    (b"", None, "image is empty"),
    # A PNG signature and header promising pixels that never come.
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00\x90\x91h6",
     None, "could not be decoded"),
    (np.zeros((48, 64, 3), np.uint8), Intrinsics(0, 600, 32, 24), "fx and fy must be positive"),
], ids=["garbage", "empty", "truncated-png", "zero-fx"])
def test_estimate_with_a_bad_image_or_intrinsics_raises_invalid(client, image, intrinsics, message):
    with pytest.raises(InvalidRequestError, match=message):
        client.estimate(image, intrinsics=intrinsics)


def test_an_image_over_the_message_limit_raises_resource_exhausted(client):
    with pytest.raises(ResourceExhaustedError) as raised:
        client.estimate(b"\x89PNG" + bytes(17 * 1024 * 1024))
    assert not isinstance(raised.value, (InvalidRequestError, UnavailableError))


def test_estimate_refuses_an_array_that_is_not_an_8_bit_image_before_sending(client):
    with pytest.raises(ValueError, match="uint8"):
        client.estimate(np.zeros((4, 4, 3), np.float32))


def test_status_describes_the_running_daemon(client):
    status = client.status()
    assert status.version
    assert status.pipeline_state in ("READY", "DEGRADED")
    assert status.model_state == "LOADED"
    assert status.capture_connected
    assert status.frames_processed > 0
    assert status.capture_synthetic and status.message.capture.source.startswith("synthetic")


def test_a_daemon_with_mutual_tls_answers_a_client_with_its_certificate_and_refuses_others(tmp_path):
    def issue(name: str, *extra: str) -> None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", f"/CN={name}", "-keyout", str(tmp_path / f"{name}.key"),
                        "-out", str(tmp_path / f"{name}.pem"), *extra], check=True, capture_output=True)

    issue("server", "-addext", "subjectAltName=IP:127.0.0.1")
    issue("client", "-addext", "extendedKeyUsage=clientAuth")

    def read(name: str) -> bytes:
        return (tmp_path / name).read_bytes()

    credentials = grpc.ssl_channel_credentials(read("server.pem"), read("client.key"), read("client.pem"))
    with Daemon(f"EdgePose:Grpc:CertificatePath={tmp_path / 'server.pem'}",
                f"EdgePose:Grpc:CertificateKeyPath={tmp_path / 'server.key'}",
                f"EdgePose:Grpc:ClientCaPath={tmp_path / 'client.pem'}", credentials=credentials) as daemon:
        with EdgePoseClient(daemon.address, timeout=5, credentials=credentials) as client:
            assert client.status().pipeline_state in ("READY", "DEGRADED")
        without_certificate = grpc.ssl_channel_credentials(read("server.pem"))
        for other in (EdgePoseClient(daemon.address, timeout=5, credentials=without_certificate),
                      EdgePoseClient(daemon.address, timeout=5)):
            with other, pytest.raises(UnavailableError):
                other.status()


def test_wait_until_serving_on_a_closed_port_raises_unavailable_after_the_timeout():
    with EdgePoseClient(f"127.0.0.1:{free_port()}", timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(UnavailableError, match="not serving after 1.5 s") as raised:
            client.wait_until_serving(timeout=1.5)
        elapsed = time.monotonic() - started
    assert 1.3 < elapsed < 5, elapsed
    assert isinstance(raised.value, EdgePoseError)


def test_a_call_to_a_closed_port_raises_unavailable():
    with EdgePoseClient(f"127.0.0.1:{free_port()}", timeout=2) as client:
        with pytest.raises(UnavailableError):
            client.status()


@pytest.mark.parametrize("pose", [[], ["--filtered"]], ids=["raw", "filtered"])
def test_the_grasp_loop_example_runs_against_the_daemon(daemon_address, pose):
    run = subprocess.run([sys.executable, str(EXAMPLE), "--target", daemon_address, "--cycles", "5",
                          "--max-age", "5", "--period", "0.05", *pose], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("serving: frame ")
    assert [line.split(":")[0] for line in lines[1:]] == [f"cycle {i}" for i in range(1, 6)]


def test_the_grasp_loop_example_stops_on_an_unknown_object(daemon_address):
    run = subprocess.run([sys.executable, str(EXAMPLE), "--target", daemon_address, "--object", "nope",
                          "--cycles", "1"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "unknown object_id 'nope'" in run.stderr
