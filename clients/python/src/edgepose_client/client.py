"""The typed client: one gRPC channel to the daemon, calls that return poses and raise errors by kind."""

import struct
import time
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Iterator, Optional, Sequence, Union

import grpc
import numpy as np
from google.protobuf.duration_pb2 import Duration

from edgepose.v1 import edgepose_pb2 as pb
from edgepose.v1 import edgepose_pb2_grpc as pb_grpc

from .errors import UnavailableError, from_rpc_error
from .poses import PoseResult

Seconds = Union[float, timedelta]


def _seconds(value: Seconds) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels of the image sent; distortion in OpenCV order k1, k2, p1, p2[, k3[, k4, k5, k6]]."""

    fx: float
    fy: float
    cx: float
    cy: float
    distortion: Sequence[float] = ()

    @classmethod
    def from_matrix(cls, camera_matrix, distortion: Sequence[float] = ()) -> "Intrinsics":
        """From a 3×3 camera matrix K (OpenCV's, or ROS CameraInfo's ``k`` reshaped to 3×3) and distortion."""
        k = np.asarray(camera_matrix, dtype=float).reshape(3, 3)
        return cls(k[0, 0], k[1, 1], k[0, 2], k[1, 2], tuple(float(d) for d in np.ravel(distortion)))

    def to_proto(self) -> "pb.CameraIntrinsics":
        return pb.CameraIntrinsics(fx=self.fx, fy=self.fy, cx=self.cx, cy=self.cy, distortion=list(self.distortion))


@dataclass(frozen=True, eq=False)
class Estimate:
    result: PoseResult
    overlay_jpeg: Optional[bytes] = None  # the image with box and axes drawn, when asked for


@dataclass(frozen=True)
class Status:
    """What the daemon runs and how it is doing; ``message`` is the full GetStatusResponse for everything else."""

    version: str
    pipeline_state: str  # STARTING, READY, DEGRADED or STOPPED
    pipeline_reason: str
    model_state: str  # ABSENT, LOADING, LOADED or FAILED
    capture_connected: bool
    capture_synthetic: bool  # the synthetic camera: every pose is pretend
    frames_processed: int
    uptime_s: float
    message: "pb.GetStatusResponse" = field(repr=False, compare=False)


def encode_png(image: np.ndarray) -> bytes:
    """A numpy image (H×W gray, or H×W×3 BGR as OpenCV holds it; uint8) as PNG bytes, without needing OpenCV."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"image must be uint8 H×W or H×W×3 (BGR); got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    color_type = 0 if image.ndim == 2 else 2
    pixels = image if image.ndim == 2 else image[:, :, ::-1]  # PNG stores RGB
    rows = np.hstack([np.zeros((height, 1), np.uint8), np.ascontiguousarray(pixels).reshape(height, -1)])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))


class PoseStream(Iterator[PoseResult]):
    """Results as the daemon publishes them, oldest first. Ends when ``cancel()`` is called (or the ``with`` block
    exits) or when the stream's duration has passed; raises UnavailableError when the daemon goes away or stops."""

    def __init__(self, call, bounded: bool):
        self._call = call
        self._bounded = bounded
        self._cancelled = False

    def __iter__(self) -> "PoseStream":
        return self

    def __next__(self) -> PoseResult:
        try:
            return PoseResult.from_proto(next(self._call))
        except StopIteration:
            if self._cancelled:
                raise
            # The daemon never ends a stream by itself except when it stops, and then it closes it with status OK.
            raise UnavailableError(grpc.StatusCode.UNAVAILABLE, "the daemon ended the stream (stopping)") from None
        except grpc.RpcError as error:
            code = error.code()
            if (code == grpc.StatusCode.CANCELLED and self._cancelled) or (
                    code == grpc.StatusCode.DEADLINE_EXCEEDED and self._bounded):
                raise StopIteration from None
            raise from_rpc_error(error) from None

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()

    def __enter__(self) -> "PoseStream":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()


class EdgePoseClient:
    """A client of one daemon. ``timeout`` (seconds) bounds each unary call; use it as a context manager or close()."""

    def __init__(self, target: str = "127.0.0.1:50051", *, timeout: Seconds = 2.0,
                 credentials: Optional[grpc.ChannelCredentials] = None, options: Sequence = ()):
        self._channel = (grpc.secure_channel(target, credentials, options) if credentials
                         else grpc.insecure_channel(target, options))
        self._stub = pb_grpc.PoseServiceStub(self._channel)
        self.target = target
        self.timeout = _seconds(timeout)

    def latest(self, object_id: str = "", max_age: Optional[Seconds] = None) -> PoseResult:
        """The newest result (one object, or all when ``object_id`` is empty). Raises StalePoseError when it was
        captured longer than ``max_age`` ago (None or 0: no limit), UnavailableError before the first result."""
        request = pb.GetLatestPoseRequest(object_id=object_id)
        if max_age is not None:
            request.max_age.FromNanoseconds(round(_seconds(max_age) * 1e9))
        return PoseResult.from_proto(self._call(self._stub.GetLatestPose, request).result)

    def stream(self, object_id: str = "", max_rate_hz: float = 0.0, duration: Optional[Seconds] = None) -> PoseStream:
        """Every new result (at most ``max_rate_hz`` a second; 0: all), for ``duration`` seconds or until cancelled.
        A slow reader skips to the newest result rather than receiving a backlog."""
        request = pb.StreamPosesRequest(object_id=object_id, max_rate_hz=max_rate_hz)
        call = self._stub.StreamPoses(request, timeout=None if duration is None else _seconds(duration))
        return PoseStream(call, bounded=duration is not None)

    def estimate(self, image: Union[np.ndarray, bytes], intrinsics: Optional[Intrinsics] = None,
                 overlay: bool = False, object_id: str = "") -> Estimate:
        """The pose in one image: a numpy BGR (or gray) uint8 array, or PNG/JPEG bytes. ``intrinsics`` replace the
        daemon's for this image; ``overlay`` also returns the image with the estimate drawn (JPEG)."""
        if isinstance(image, np.ndarray):
            image = encode_png(image)
        request = pb.EstimatePoseRequest(image=bytes(image), object_id=object_id, want_overlay=overlay)
        if intrinsics is not None:
            request.intrinsics.CopyFrom(intrinsics.to_proto())
        response = self._call(self._stub.EstimatePose, request)
        return Estimate(PoseResult.from_proto(response.result), response.overlay_jpeg if overlay else None)

    def status(self) -> Status:
        message = self._call(self._stub.GetStatus, pb.GetStatusRequest())
        return Status(
            version=message.version, pipeline_state=message.pipeline_state, pipeline_reason=message.pipeline_reason,
            model_state=message.model.state, capture_connected=message.capture.connected,
            capture_synthetic=message.capture.synthetic,
            frames_processed=message.frames_processed, uptime_s=message.uptime.ToTimedelta().total_seconds(),
            message=message)

    def wait_until_serving(self, timeout: Seconds, poll_interval: float = 0.1) -> PoseResult:
        """Blocks until the daemon answers with a first pose result and returns it; UnavailableError after
        ``timeout`` seconds (daemon not listening, or no result yet) naming the last reason."""
        deadline = time.monotonic() + _seconds(timeout)
        while True:
            remaining = deadline - time.monotonic()
            try:
                request = pb.GetLatestPoseRequest()
                return PoseResult.from_proto(
                    self._call(self._stub.GetLatestPose, request, max(0.0, min(self.timeout, remaining))).result)
            except UnavailableError as error:
                if time.monotonic() + poll_interval >= deadline:
                    raise UnavailableError(error.code, f"not serving after {_seconds(timeout):g} s at "
                                                       f"{self.target}: {error.details}") from None
            time.sleep(poll_interval)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "EdgePoseClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method, request, timeout: Optional[float] = None):
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
