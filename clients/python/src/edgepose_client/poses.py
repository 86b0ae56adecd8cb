"""Wire messages → typed poses with numpy views.

Conventions (the daemon's, see the README's "Pose convention"):
- a pose is T_frame_object: it maps a point from the object (or grasp) frame into ``frame`` (the camera's OpenCV
  optical frame, or the robot base frame when a camera-to-base calibration is configured): p_frame = R p_object + t;
- metres and radians;
- quaternions are (x, y, z, w), the order ROS and scipy use (the proto message itself is w, x, y, z);
- the covariance is 6×6 over (x, y, z, rx, ry, rz): translation in metres, then the rotation perturbation in radians
  about the axes of ``frame``, the order of ROS's PoseWithCovariance.
"""

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional, Tuple

import numpy as np

from edgepose.v1 import edgepose_pb2 as pb


class _ProtoEnum(enum.IntEnum):
    @classmethod
    def _missing_(cls, value):
        # A newer daemon may send a value this client's proto does not know yet (proto3 enums are open): keep it.
        member = int.__new__(cls, value)
        member._name_, member._value_ = f"UNKNOWN_{value}", value
        return member


def _proto_enum(name: str) -> type:
    """A Python enum with the proto enum's numbers, its members named without the proto's type prefix."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() + "_"
    values = pb.DESCRIPTOR.enum_types_by_name[name].values
    return _ProtoEnum(name, {v.name[len(prefix):]: v.number for v in values})


# Derived from the proto, so the numbers and names are the C# daemon's.
PoseSource = _proto_enum("PoseSource")
FallbackReason = _proto_enum("FallbackReason")
ReferenceFrame = _proto_enum("ReferenceFrame")
TrackState = _proto_enum("TrackState")
RawPoseVerdict = _proto_enum("RawPoseVerdict")


def quaternion_to_matrix(quaternion) -> np.ndarray:
    """3×3 rotation matrix of a unit quaternion (x, y, z, w)."""
    x, y, z, w = np.asarray(quaternion, dtype=float) / np.linalg.norm(quaternion)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def rpy_to_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """R = Rz(yaw)·Ry(pitch)·Rx(roll), the proto's RollPitchYaw convention (and ROS's)."""
    cr, sr, cp, sp, cy, sy = np.cos(roll), np.sin(roll), np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    return np.array([
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ])


def _time_ns(timestamp) -> int:
    return timestamp.seconds * 1_000_000_000 + timestamp.nanos


class _PoseMatrix:
    """``rotation`` and ``matrix`` from ``position`` and ``quaternion``, once ``_require_pose`` says there are some."""

    def _require_pose(self) -> None:
        raise NotImplementedError

    @property
    def rotation(self) -> np.ndarray:
        """3×3 rotation matrix R_frame_object."""
        return self.matrix[:3, :3]

    @property
    def matrix(self) -> np.ndarray:
        """4×4 homogeneous T_frame_object: ``matrix @ [x, y, z, 1]`` takes an object-frame point into ``frame``."""
        self._require_pose()
        transform = np.eye(4)
        transform[:3, :3] = quaternion_to_matrix(self.quaternion)
        transform[:3, 3] = self.position
        return transform


def _geometry(message) -> dict:
    """Position, (x, y, z, w) quaternion, rpy and 6×6 covariance of a message with a pose (ObjectPose, FilteredPose)."""
    p, q, r = message.position, message.orientation, message.rpy
    return dict(
        position=np.array([p.x, p.y, p.z]),
        quaternion=np.array([q.x, q.y, q.z, q.w]),
        rpy=(r.roll, r.pitch, r.yaw),
        covariance=np.array(message.covariance, dtype=float).reshape(6, 6))


@dataclass(frozen=True, eq=False)
class FilteredPose(_PoseMatrix):
    """An object's pose filtered over successive live frames: smoothed, jumps and flips held back, with its velocity.
    Same frame and conventions as the raw pose. The geometric fields are None unless ``state`` is TRACKING or COASTING
    (LOST: the track was dropped after EdgePose:Tracking:DropAfter without a sighting)."""

    state: TrackState
    raw_verdict: RawPoseVerdict  # what the tracker did with this frame's raw pose (ACCEPTED, OUTLIER, FLIP, ...)
    since_sighting_s: Optional[float] = None  # since the track's last accepted pose; None when it never had one
    position: Optional[np.ndarray] = None  # (3,) metres
    quaternion: Optional[np.ndarray] = None  # (4,) x, y, z, w
    rpy: Optional[Tuple[float, float, float]] = None
    covariance: Optional[np.ndarray] = None  # (6, 6) over x, y, z, rx, ry, rz
    linear_velocity: Optional[np.ndarray] = None  # (3,) m/s in the pose's frame
    angular_velocity: Optional[np.ndarray] = None  # (3,) rad/s about the frame's axes

    @property
    def has_pose(self) -> bool:
        return self.position is not None

    def _require_pose(self) -> None:
        if not self.has_pose:
            raise ValueError(f"the track has no filtered pose (state {self.state.name})")

    @classmethod
    def from_proto(cls, message: "pb.FilteredPose") -> "FilteredPose":
        common = dict(
            state=TrackState(message.state), raw_verdict=RawPoseVerdict(message.raw_verdict),
            since_sighting_s=(message.since_sighting.ToTimedelta().total_seconds()
                              if message.HasField("since_sighting") else None))
        if not message.HasField("position"):
            return cls(**common)
        v, w = message.linear_velocity, message.angular_velocity
        return cls(**common, **_geometry(message),
                   linear_velocity=np.array([v.x, v.y, v.z]), angular_velocity=np.array([w.x, w.y, w.z]))


# eq=False: numpy fields have no single truth value.
@dataclass(frozen=True, eq=False)
class ObjectPose(_PoseMatrix):
    """One object's pose in one result. When ``found`` is False the geometric fields are None."""

    object_id: str
    found: bool
    frame: ReferenceFrame
    source: PoseSource
    fallback_reason: FallbackReason
    position: Optional[np.ndarray] = None  # (3,) metres
    quaternion: Optional[np.ndarray] = None  # (4,) x, y, z, w
    rpy: Optional[Tuple[float, float, float]] = None  # roll, pitch, yaw (radians)
    covariance: Optional[np.ndarray] = None  # (6, 6) over x, y, z, rx, ry, rz
    confidence: float = 0.0
    reprojection_error_px: float = 0.0
    rotation_ambiguous: bool = False
    # The pose filtered over time (live results: latest, stream); None for estimate(), which sees one image.
    filtered: Optional[FilteredPose] = None

    def _require_pose(self) -> None:
        self.require_found()

    def require_found(self) -> "ObjectPose":
        """This pose, or ValueError when the object was not found (its geometric fields are then None)."""
        if not self.found:
            raise ValueError(f"object '{self.object_id}' was not found in this result (fallback "
                             f"{self.fallback_reason.name}); it has no pose")
        return self

    @classmethod
    def from_proto(cls, message: "pb.ObjectPose") -> "ObjectPose":
        common = dict(
            object_id=message.object_id, found=message.found, frame=ReferenceFrame(message.frame),
            source=PoseSource(message.source), fallback_reason=FallbackReason(message.fallback_reason),
            filtered=FilteredPose.from_proto(message.filtered) if message.HasField("filtered") else None)
        if not message.found:
            return cls(**common)
        return cls(
            **common,
            **_geometry(message),
            confidence=message.confidence,
            reprojection_error_px=message.reprojection_error_px,
            rotation_ambiguous=message.rotation_ambiguous)


@dataclass(frozen=True, eq=False)
class PoseResult:
    """One processed frame: every (requested) object's pose, with when the frame was captured and published."""

    frame_sequence: int
    capture_time_ns: int  # Unix epoch nanoseconds, exact (ROS stamps are built from it)
    publish_time_ns: int
    end_to_end_s: float  # capture → publish
    poses: Tuple[ObjectPose, ...]
    synthetic: bool = False  # the frame was rendered by the synthetic camera: the poses are pretend

    @property
    def capture_time(self) -> datetime:
        return datetime.fromtimestamp(self.capture_time_ns / 1e9, tz=timezone.utc)

    def pose(self, object_id: str) -> ObjectPose:
        for pose in self.poses:
            if pose.object_id == object_id:
                return pose
        raise KeyError(f"no object '{object_id}' in result {self.frame_sequence} "
                       f"(has: {', '.join(p.object_id for p in self.poses) or 'none'})")

    @classmethod
    def from_proto(cls, message: "pb.PoseResult") -> "PoseResult":
        return cls(
            frame_sequence=message.frame_sequence,
            capture_time_ns=_time_ns(message.capture_time),
            publish_time_ns=_time_ns(message.publish_time),
            end_to_end_s=message.latencies.end_to_end.ToTimedelta().total_seconds(),
            poses=tuple(ObjectPose.from_proto(p) for p in message.poses),
            synthetic=message.synthetic)
