"""Python client for the EdgePose pose daemon (gRPC API ``edgepose.v1``); see the repository README,
section "Python and ROS 2"."""

from .client import EdgePoseClient, Estimate, Intrinsics, PoseStream, Status, encode_png
from .errors import EdgePoseError, InvalidRequestError, ResourceExhaustedError, StalePoseError, UnavailableError
from .poses import (FallbackReason, FilteredPose, ObjectPose, PoseResult, PoseSource, RawPoseVerdict, ReferenceFrame,
                    TrackState, quaternion_to_matrix, rpy_to_matrix)

__all__ = [
    "EdgePoseClient", "Estimate", "Intrinsics", "PoseStream", "Status", "encode_png",
    "EdgePoseError", "InvalidRequestError", "ResourceExhaustedError", "StalePoseError", "UnavailableError",
    "FallbackReason", "FilteredPose", "ObjectPose", "PoseResult", "PoseSource", "RawPoseVerdict", "ReferenceFrame",
    "TrackState", "quaternion_to_matrix", "rpy_to_matrix",
]
