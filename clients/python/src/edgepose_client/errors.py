"""What a call can fail with, by what the controller should do about it."""

import grpc


class EdgePoseError(Exception):
    """A call the daemon refused or could not answer; ``code`` and ``details`` are the gRPC status."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


class StalePoseError(EdgePoseError):
    """The newest pose is older than the ``max_age`` asked for (FAILED_PRECONDITION): look again, do not grasp."""


class UnavailableError(EdgePoseError):
    """No answer: daemon not reachable, no pose yet, or the call's deadline passed (UNAVAILABLE, DEADLINE_EXCEEDED)."""


class InvalidRequestError(EdgePoseError, ValueError):
    """The request itself is wrong: unknown object, bad image or intrinsics, negative max_age (INVALID_ARGUMENT).
    Retrying the same request will not help."""


class ResourceExhaustedError(EdgePoseError):
    """The daemon is at a limit (RESOURCE_EXHAUSTED), named in ``details``: too many EstimatePose calls or decoded
    pixels in progress (retry later), or a request over the message size (send a smaller image)."""


_BY_CODE = {
    grpc.StatusCode.FAILED_PRECONDITION: StalePoseError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: UnavailableError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidRequestError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
}


def from_rpc_error(error: grpc.RpcError) -> EdgePoseError:
    code, details = error.code(), error.details() or ""
    return _BY_CODE.get(code, EdgePoseError)(code, details)
