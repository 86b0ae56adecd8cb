"""EdgePose results in the shape of ROS 2 messages, without ROS.

Each function returns plain dicts laid out field by field like the ROS 2 message, so inside a ROS 2 node
``rosidl_runtime_py.set_message_fields(PoseWithCovarianceStamped(), d)`` fills the real message (and a test here can
check every field without ROS installed).

- ``header.stamp``: the frame's capture time (not the publish time), as sec/nanosec of the Unix epoch, exact to the ns.
- ``header.frame_id``: the pose's reference frame. CAMERA is the camera's OpenCV optical frame (x right, y down,
  z forward), which is what REP 103 calls an ``*_optical_frame``; BASE is the robot base frame of the calibration.
  The names are the caller's (``Frames``), because only the robot's URDF knows them.
- Orientation x, y, z, w; position in metres.
- Covariance: 36 floats, row-major, over (x, y, z, rotation about X, rotation about Y, rotation about Z) of
  ``header.frame_id`` — ROS's order. EdgePose reports its 6×6 in the same order and units (translation first, then the
  rotation perturbation), so the mapping is a row-major flatten with no reordering.
- TF: a ``geometry_msgs/TransformStamped`` with ``header.frame_id`` = the parent (camera optical or base frame) and
  ``child_frame_id`` = the object (or its grasp frame). Its transform is T_parent_child, EdgePose's T_frame_object:
  it maps points from the object frame into the parent frame (p_parent = R p_object + t); tf2 looks it up as
  ``lookup_transform(parent, child, ...)``.
- ``filtered=True``: the same messages from the pose filtered over time (``ObjectPose.filtered``), in the same frame and
  stamped with the same capture time; ValueError when the track has no filtered pose (LOST, or a single image).
"""

from typing import Dict, List, NamedTuple, Tuple

import numpy as np

from .poses import ObjectPose, PoseResult, ReferenceFrame


class Frames(NamedTuple):
    """ROS frame names for EdgePose's reference frames."""

    camera: str = "camera_optical_frame"
    base: str = "base_link"

    def of(self, frame: ReferenceFrame) -> str:
        return self.base if frame == ReferenceFrame.BASE else self.camera


def stamp(time_ns: int) -> Dict[str, int]:
    """builtin_interfaces/Time from Unix epoch nanoseconds."""
    sec, nanosec = divmod(time_ns, 1_000_000_000)
    return {"sec": sec, "nanosec": nanosec}


def _geometry(pose: ObjectPose, filtered: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position, (x, y, z, w) quaternion and 6×6 covariance of the raw or the filtered pose; ValueError if none."""
    if not filtered:
        pose.require_found()
        return pose.position, pose.quaternion, pose.covariance
    if pose.filtered is None or not pose.filtered.has_pose:
        state = "not tracked" if pose.filtered is None else f"track {pose.filtered.state.name}"
        raise ValueError(f"object '{pose.object_id}' has no filtered pose in this result ({state})")
    return pose.filtered.position, pose.filtered.quaternion, pose.filtered.covariance


def covariance(pose: ObjectPose, filtered: bool = False) -> List[float]:
    """The 36-element row-major covariance of geometry_msgs/PoseWithCovariance."""
    return [float(v) for v in _geometry(pose, filtered)[2].reshape(36)]


def header(result: PoseResult, pose: ObjectPose, frames: Frames = Frames()) -> dict:
    return {"stamp": stamp(result.capture_time_ns), "frame_id": frames.of(pose.frame)}


def pose_with_covariance_stamped(result: PoseResult, pose: ObjectPose, frames: Frames = Frames(),
                                 filtered: bool = False) -> dict:
    """geometry_msgs/PoseWithCovarianceStamped of one found (or, with ``filtered``, tracked) object in one result."""
    (px, py, pz), (qx, qy, qz, qw), cov = _geometry(pose, filtered)
    return {
        "header": header(result, pose, frames),
        "pose": {
            "pose": {
                "position": {"x": float(px), "y": float(py), "z": float(pz)},
                "orientation": {"x": float(qx), "y": float(qy), "z": float(qz), "w": float(qw)},
            },
            "covariance": [float(v) for v in cov.reshape(36)],
        },
    }


def transform_stamped(result: PoseResult, pose: ObjectPose, frames: Frames = Frames(), child_frame_id: str = "",
                      filtered: bool = False) -> dict:
    """geometry_msgs/TransformStamped for tf2: parent = the pose's reference frame, child = the object (default: its
    object id), transform = T_parent_child."""
    (px, py, pz), (qx, qy, qz, qw), _ = _geometry(pose, filtered)
    return {
        "header": header(result, pose, frames),
        "child_frame_id": child_frame_id or pose.object_id,
        "transform": {
            "translation": {"x": float(px), "y": float(py), "z": float(pz)},
            "rotation": {"x": float(qx), "y": float(qy), "z": float(qz), "w": float(qw)},
        },
    }
