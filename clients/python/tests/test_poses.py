"""Wire message → typed pose conversions against known values (no daemon needed)."""

import math

import cv2
import numpy as np
import pytest

from edgepose.v1 import edgepose_pb2 as pb
from edgepose_client import (FallbackReason, ObjectPose, PoseResult, PoseSource, RawPoseVerdict, ReferenceFrame,
                             TrackState, encode_png, quaternion_to_matrix, rpy_to_matrix)

S = math.sqrt(0.5)


def object_pose(frame=pb.REFERENCE_FRAME_CAMERA) -> pb.ObjectPose:
    """The object 90° about z (x axis → camera y), at (0.1, -0.2, 0.7); covariance entry (i, j) = 10·i + j."""
    return pb.ObjectPose(
        object_id="box", found=True, frame=frame, source=pb.POSE_SOURCE_BASELINE,
        position=pb.Vector3(x=0.1, y=-0.2, z=0.7), orientation=pb.Quaternion(w=S, x=0, y=0, z=S),
        rpy=pb.RollPitchYaw(roll=0, pitch=0, yaw=math.pi / 2), covariance=[10 * i + j for i in range(6) for j in range(6)],
        confidence=0.9, reprojection_error_px=0.4, rotation_ambiguous=True)


def pose_result(*poses: pb.ObjectPose) -> pb.PoseResult:
    message = pb.PoseResult(frame_sequence=42, poses=list(poses))
    message.capture_time.seconds, message.capture_time.nanos = 1_795_850_000, 123_456_789
    message.publish_time.seconds, message.publish_time.nanos = 1_795_850_000, 223_456_789
    message.latencies.end_to_end.nanos = 100_000_000
    return message


@pytest.mark.parametrize("quaternion, matrix", [
    ((0, 0, 0, 1), np.eye(3)),
    ((0, 0, S, S), [[0, -1, 0], [1, 0, 0], [0, 0, 1]]),  # 90° about z
    ((1, 0, 0, 0), [[1, 0, 0], [0, -1, 0], [0, 0, -1]]),  # 180° about x: an object facing the camera
    ((0, -S, 0, S), [[0, 0, -1], [0, 1, 0], [1, 0, 0]]),  # −90° about y
    ((0, 0, -S, -S), [[0, -1, 0], [1, 0, 0], [0, 0, 1]]),  # −q is the same rotation
])
def test_quaternion_x_y_z_w_to_matrix(quaternion, matrix):
    np.testing.assert_allclose(quaternion_to_matrix(quaternion), matrix, atol=1e-12)


def test_rpy_is_rz_ry_rx_like_the_proto():
    roll, pitch, yaw = 0.3, -0.5, 2.0
    rx = [[1, 0, 0], [0, math.cos(roll), -math.sin(roll)], [0, math.sin(roll), math.cos(roll)]]
    ry = [[math.cos(pitch), 0, math.sin(pitch)], [0, 1, 0], [-math.sin(pitch), 0, math.cos(pitch)]]
    rz = [[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]]
    np.testing.assert_allclose(rpy_to_matrix(roll, pitch, yaw), np.array(rz) @ ry @ rx, atol=1e-12)


def test_object_pose_from_proto_gives_x_y_z_w_quaternion_4x4_matrix_and_row_major_6x6_covariance():
    pose = ObjectPose.from_proto(object_pose())
    np.testing.assert_allclose(pose.quaternion, [0, 0, S, S])  # wire (w, x, y, z) → (x, y, z, w)
    np.testing.assert_allclose(pose.matrix, [[0, -1, 0, 0.1], [1, 0, 0, -0.2], [0, 0, 1, 0.7], [0, 0, 0, 1]],
                               atol=1e-12)
    # The matrix maps object points into the camera frame: the object's +x tip 5 cm out lands 5 cm along camera +y.
    np.testing.assert_allclose(pose.matrix @ [0.05, 0, 0, 1], [0.1, -0.15, 0.7, 1], atol=1e-12)
    np.testing.assert_allclose(pose.rotation, rpy_to_matrix(*pose.rpy), atol=1e-12)
    assert pose.covariance.shape == (6, 6)
    assert pose.covariance[0, 3] == 3 and pose.covariance[3, 0] == 30 and pose.covariance[5, 5] == 55
    assert (pose.source, pose.frame, pose.fallback_reason) == (PoseSource.BASELINE, ReferenceFrame.CAMERA,
                                                              FallbackReason.NONE)
    assert (pose.confidence, pose.reprojection_error_px, pose.rotation_ambiguous) == (0.9, 0.4, True)


def test_an_object_not_found_has_no_geometry_and_says_why():
    pose = ObjectPose.from_proto(pb.ObjectPose(
        object_id="box", found=False, fallback_reason=pb.FALLBACK_REASON_MODEL_LOW_CONFIDENCE))
    assert pose.position is None and pose.quaternion is None and pose.covariance is None
    assert pose.fallback_reason == FallbackReason.MODEL_LOW_CONFIDENCE
    with pytest.raises(ValueError, match="'box' was not found .*MODEL_LOW_CONFIDENCE"):
        pose.matrix


def test_the_filtered_pose_sits_next_to_the_raw_one_with_the_same_conventions_and_its_velocity():
    message = object_pose()
    message.filtered.CopyFrom(pb.FilteredPose(
        state=pb.TRACK_STATE_COASTING, raw_verdict=pb.RAW_POSE_VERDICT_OUTLIER,
        position=pb.Vector3(x=0.1, y=-0.2, z=0.75), orientation=pb.Quaternion(w=S, x=0, y=0, z=S),
        rpy=pb.RollPitchYaw(yaw=math.pi / 2), covariance=[float(i == j) for i in range(6) for j in range(6)],
        linear_velocity=pb.Vector3(x=0.01, y=0, z=-0.2), angular_velocity=pb.Vector3(z=0.5)))
    message.filtered.since_sighting.nanos = 66_000_000

    pose = ObjectPose.from_proto(message)

    filtered = pose.filtered
    assert (filtered.state, filtered.raw_verdict) == (TrackState.COASTING, RawPoseVerdict.OUTLIER)
    assert filtered.since_sighting_s == pytest.approx(0.066)
    np.testing.assert_allclose(filtered.quaternion, [0, 0, S, S])
    np.testing.assert_allclose(filtered.matrix, [[0, -1, 0, 0.1], [1, 0, 0, -0.2], [0, 0, 1, 0.75], [0, 0, 0, 1]],
                               atol=1e-12)
    np.testing.assert_allclose(filtered.rotation, pose.rotation, atol=1e-12)
    np.testing.assert_array_equal(filtered.covariance, np.eye(6))
    np.testing.assert_allclose(filtered.linear_velocity, [0.01, 0, -0.2])
    np.testing.assert_allclose(filtered.angular_velocity, [0, 0, 0.5])


def test_a_lost_track_has_no_filtered_pose_and_a_single_image_no_track():
    message = object_pose()
    message.filtered.CopyFrom(pb.FilteredPose(state=pb.TRACK_STATE_LOST, raw_verdict=pb.RAW_POSE_VERDICT_NOT_FOUND))
    lost = ObjectPose.from_proto(message).filtered
    assert lost.state == TrackState.LOST and not lost.has_pose and lost.since_sighting_s is None
    assert lost.position is None and lost.covariance is None and lost.linear_velocity is None
    with pytest.raises(ValueError, match="no filtered pose \\(state LOST\\)"):
        lost.matrix
    assert ObjectPose.from_proto(object_pose()).filtered is None


def test_enums_are_the_protos_numbers_without_the_type_prefix():
    assert [(m.name, m.value) for m in ReferenceFrame] == [("CAMERA", 0), ("BASE", 1)]
    assert PoseSource.MODEL == pb.POSE_SOURCE_MODEL and PoseSource.BASELINE == pb.POSE_SOURCE_BASELINE
    assert {m.value for m in FallbackReason} == set(pb.FallbackReason.values())
    assert FallbackReason.POLICY_MARKER_VISIBLE == pb.FALLBACK_REASON_POLICY_MARKER_VISIBLE
    assert [m.name for m in TrackState] == ["UNSPECIFIED", "TRACKING", "COASTING", "LOST"]
    assert RawPoseVerdict.FLIP == pb.RAW_POSE_VERDICT_FLIP


def test_an_enum_value_from_a_newer_daemon_is_kept_rather_than_refused():
    pose = ObjectPose.from_proto(pb.ObjectPose(object_id="box", source=7, fallback_reason=42))
    assert (pose.source, pose.source.name) == (7, "UNKNOWN_7")
    assert (pose.fallback_reason, pose.fallback_reason.name) == (42, "UNKNOWN_42")


def test_pose_result_keeps_times_exact_and_finds_poses_by_object():
    result = PoseResult.from_proto(pose_result(object_pose()))
    assert result.frame_sequence == 42 and not result.synthetic
    assert result.capture_time_ns == 1_795_850_000_123_456_789
    assert result.publish_time_ns - result.capture_time_ns == 100_000_000
    assert result.end_to_end_s == pytest.approx(0.1)
    assert result.capture_time.microsecond == 123_457
    assert result.pose("box").found
    with pytest.raises(KeyError, match="no object 'cup' in result 42 \\(has: box\\)"):
        result.pose("cup")


@pytest.mark.parametrize("shape", [(5, 7, 3), (5, 7)])
def test_encode_png_is_lossless_and_keeps_opencv_channel_order(shape):
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    decoded = cv2.imdecode(np.frombuffer(encode_png(image), np.uint8), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(decoded, image)
