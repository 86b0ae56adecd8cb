"""The real daemon for the client tests: the built edgepose on free loopback ports, on its embedded default (synthetic
camera, bundled model), and a dataset with ground truth rendered by edgepose-lab (the synthetic camera's renderer).

EDGEPOSE (default: dotnet src/EdgePose.Daemon/bin/Release/net10.0/edgepose.dll, from the repository root) names the
built daemon and EDGEPOSE_LAB (default: dotnet src/EdgePose.Lab/bin/Release/net10.0/edgepose-lab.dll) the lab; the
tests import edgepose_client as installed (tests/run.sh installs it into a fresh venv)."""

import json
import os
import shlex
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from edgepose_client import EdgePoseClient, UnavailableError

REPO = Path(__file__).resolve().parents[3]
DAEMON = shlex.split(os.environ.get("EDGEPOSE", "dotnet src/EdgePose.Daemon/bin/Release/net10.0/edgepose.dll"))
LAB = shlex.split(os.environ.get("EDGEPOSE_LAB", "dotnet src/EdgePose.Lab/bin/Release/net10.0/edgepose-lab.dll"))
OBJECT_ID = "box"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """The built daemon as a process, serving on free loopback ports once started."""

    def __init__(self, *settings: str, credentials=None):
        """``settings``: extra ``Key=Value`` configuration (EdgePose:…), passed as --set; ``credentials``: what a
        client needs to reach it (for TLS)."""
        self.address = f"127.0.0.1:{free_port()}"
        self._credentials = credentials
        self._log = tempfile.TemporaryFile()
        # The synthetic camera, which outside development mode must be allowed explicitly. The CI machine is shared
        # and slow: a model answer over the default 60 ms budget is replaced by the baseline or "not found", which
        # would make the estimate tests depend on load; the budget is not what they are about.
        self.process = subprocess.Popen(
            [*DAEMON, "--grpc-address", self.address, "--metrics-address", f"127.0.0.1:{free_port()}",
             "--set", "EdgePose:Capture:AllowSynthetic=true", "--set", "EdgePose:Pipeline:ModelLatencyBudget=00:00:10",
             "--set", "EdgePose:Pipeline:LatencyBudget=00:00:10", *(a for kv in settings for a in ("--set", kv))],
            cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)

    def __enter__(self) -> "Daemon":
        deadline = time.monotonic() + 90
        with EdgePoseClient(self.address, timeout=5, credentials=self._credentials) as client:
            while True:
                try:
                    client.wait_until_serving(timeout=1)
                    return self
                except UnavailableError:
                    if self.process.poll() is None and time.monotonic() < deadline:
                        continue
                code = self.process.poll()
                self._log.seek(0)
                log = self._log.read().decode()[-4000:]
                self.__exit__()
                why = "not serving after 90 s" if code is None else f"exited with code {code} before serving"
                raise AssertionError(f"daemon {why}:\n{log}")

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=30)

    def __exit__(self, *exc) -> None:
        self.stop()
        self._log.close()


@pytest.fixture(scope="session")
def daemon_address():
    with Daemon() as daemon:
        yield daemon.address


@pytest.fixture()
def client(daemon_address):
    with EdgePoseClient(daemon_address, timeout=10) as client:
        yield client


class RenderedFrame:
    def __init__(self, folder: Path, index: int, camera: dict, truth: dict):
        self.png_path = folder / "rgb" / f"{index:06d}.png"
        self.camera = camera
        self.rotation = np.array(truth["cam_R_m2c"]).reshape(3, 3)
        self.translation = np.array(truth["cam_t_m2c"]) / 1000.0  # BOP: millimetres


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """Frames of the default box at known poses, from `edgepose-lab render` (the same renderer as the synthetic camera)."""
    out = tmp_path_factory.mktemp("render")
    subprocess.run([*LAB, "render", "--out", str(out), "--count", "6", "--seed", "5"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    folder = out / "train" / "000000"
    camera = json.loads((out / "camera.json").read_text())
    truth = json.loads((folder / "scene_gt.json").read_text())
    return [RenderedFrame(folder, int(i), camera, objects[0]) for i, objects in sorted(truth.items())]
