"""The ROS 2 message shapes: field layout, stamp, frame ids, covariance order and the TF direction."""

import numpy as np
import pytest

from conftest import OBJECT_ID
from edgepose.v1 import edgepose_pb2 as pb
from edgepose_client import PoseResult, quaternion_to_matrix, ros
from test_poses import S, object_pose, pose_result


def test_pose_with_covariance_stamped_has_the_ros_layout():
    result = PoseResult.from_proto(pose_result(object_pose()))
    message = ros.pose_with_covariance_stamped(result, result.pose("box"))
    assert message == {
        "header": {"stamp": {"sec": 1_795_850_000, "nanosec": 123_456_789}, "frame_id": "camera_optical_frame"},
        "pose": {
            "pose": {"position": {"x": 0.1, "y": -0.2, "z": 0.7},
                     "orientation": {"x": 0.0, "y": 0.0, "z": S, "w": S}},
            "covariance": [float(10 * i + j) for i in range(6) for j in range(6)],
        },
    }


def test_covariance_is_row_major_over_x_y_z_then_rotation_about_x_y_z():
    cov = np.zeros((6, 6))
    cov[0, 0], cov[2, 2], cov[5, 5] = 1e-6, 4e-6, 9e-4  # var x, var z, var rotation about Z
    cov[0, 3] = cov[3, 0] = 2e-5  # x with rotation about X
    message = pb.ObjectPose(object_id="box", found=True, orientation=pb.Quaternion(w=1), covariance=cov.ravel())
    flat = ros.covariance(PoseResult.from_proto(pose_result(message)).pose("box"))
    assert len(flat) == 36 and all(type(v) is float for v in flat)
    assert (flat[0], flat[14], flat[35], flat[3], flat[18]) == (1e-6, 4e-6, 9e-4, 2e-5, 2e-5)


def test_frame_id_follows_the_reference_frame_with_the_callers_names():
    result = PoseResult.from_proto(pose_result(object_pose(pb.REFERENCE_FRAME_BASE)))
    frames = ros.Frames(camera="cam0_color_optical_frame", base="ur_base_link")
    assert ros.header(result, result.pose("box"), frames)["frame_id"] == "ur_base_link"
    assert ros.header(result, result.pose("box"))["frame_id"] == "base_link"
    camera = PoseResult.from_proto(pose_result(object_pose()))
    assert ros.header(camera, camera.pose("box"), frames)["frame_id"] == "cam0_color_optical_frame"


def test_transform_stamped_is_parent_from_child_and_maps_object_points_into_the_parent():
    result = PoseResult.from_proto(pose_result(object_pose()))
    pose = result.pose("box")
    tf = ros.transform_stamped(result, pose)
    assert tf["header"] == {"stamp": {"sec": 1_795_850_000, "nanosec": 123_456_789}, "frame_id": "camera_optical_frame"}
    assert tf["child_frame_id"] == "box"
    assert ros.transform_stamped(result, pose, child_frame_id="box_grasp")["child_frame_id"] == "box_grasp"
    t, q = tf["transform"]["translation"], tf["transform"]["rotation"]
    # What tf2 does with it: p_parent = R(q) · p_child + t.
    corner = np.array([0.05, 0.03, 0.02])
    in_parent = quaternion_to_matrix([q["x"], q["y"], q["z"], q["w"]]) @ corner + [t["x"], t["y"], t["z"]]
    np.testing.assert_allclose(in_parent, (pose.matrix @ [*corner, 1])[:3], atol=1e-12)
    np.testing.assert_allclose(in_parent, [0.1 - 0.03, -0.2 + 0.05, 0.72], atol=1e-12)


def test_an_object_not_found_has_no_message():
    result = PoseResult.from_proto(pose_result(pb.ObjectPose(object_id="box", found=False)))
    with pytest.raises(ValueError, match="not found"):
        ros.pose_with_covariance_stamped(result, result.pose("box"))


def test_the_filtered_pose_maps_the_same_way_with_the_frames_stamp():
    message = object_pose()
    message.filtered.CopyFrom(pb.FilteredPose(
        state=pb.TRACK_STATE_TRACKING, position=pb.Vector3(x=0.11, y=-0.2, z=0.7), orientation=pb.Quaternion(w=1),
        covariance=[float(i == j) * 1e-6 for i in range(6) for j in range(6)]))
    result = PoseResult.from_proto(pose_result(message))
    pose = result.pose("box")
    filtered = ros.pose_with_covariance_stamped(result, pose, filtered=True)
    assert filtered["header"] == ros.pose_with_covariance_stamped(result, pose)["header"]
    assert filtered["pose"]["pose"] == {"position": {"x": 0.11, "y": -0.2, "z": 0.7},
                                        "orientation": {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0}}
    assert filtered["pose"]["covariance"][0] == 1e-6 and filtered["pose"]["covariance"][1] == 0.0
    tf = ros.transform_stamped(result, pose, filtered=True)
    assert tf["transform"]["translation"] == {"x": 0.11, "y": -0.2, "z": 0.7}


@pytest.mark.parametrize("track", [None, pb.FilteredPose(state=pb.TRACK_STATE_LOST)], ids=["untracked", "lost"])
def test_no_filtered_message_without_a_filtered_pose(track):
    message = object_pose()
    if track is not None:
        message.filtered.CopyFrom(track)
    result = PoseResult.from_proto(pose_result(message))
    with pytest.raises(ValueError, match="'box' has no filtered pose .*(not tracked|track LOST)"):
        ros.pose_with_covariance_stamped(result, result.pose("box"), filtered=True)


def test_a_live_result_maps_with_its_capture_stamp_and_a_symmetric_covariance(client):
    # The scripted scene has stretches where the box is not found: take the first result that has it.
    with client.stream(OBJECT_ID, duration=60) as stream:
        result = next((r for r in stream if r.pose(OBJECT_ID).found), None)
    assert result is not None, "no found pose in 60 s of results"
    pose = result.pose(OBJECT_ID)
    message = ros.pose_with_covariance_stamped(result, pose)
    stamp = message["header"]["stamp"]
    assert stamp["sec"] * 10**9 + stamp["nanosec"] == result.capture_time_ns
    cov = np.array(message["pose"]["covariance"]).reshape(6, 6)
    np.testing.assert_allclose(cov, cov.T, rtol=1e-6, atol=1e-15)
    assert np.all(np.diag(cov) > 0)
    # Translation comes first: monocular PnP pins x and y far better than depth, the camera's z.
    assert cov[2, 2] > cov[0, 0] and cov[2, 2] > cov[1, 1]
