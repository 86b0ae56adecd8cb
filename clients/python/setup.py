"""Build hook: the gRPC stubs are generated from the repository's proto/ when the package is built, never committed.

The generated modules keep the proto's own package, ``edgepose.v1`` (``edgepose_pb2``, ``edgepose_pb2_grpc``), so code
that talks to the raw stubs imports the same names as any other gRPC client of this API.

Compiler, first found wins:
  1. ``protoc`` + ``grpc_python_plugin`` on PATH (Debian: protobuf-compiler, libprotobuf-dev for the well-known types,
     protobuf-compiler-grpc). Debian 12 ships these at exactly the versions of its python3-protobuf (3.21) and
     python3-grpcio (1.51) runtimes.
  2. ``python -m grpc_tools.protoc`` (the ``grpcio-tools`` wheel elsewhere). Debian 12's python3-grpc-tools bundles
     libprotoc 3.5, older than the 3.19 that protobuf 4.21's runtime requires of generated code, hence second.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
PROTO_FILE = "edgepose/v1/edgepose.proto"


def proto_root() -> Path:
    """The proto/ folder: in the repository two levels up, or copied into an sdist next to this file."""
    for candidate in (Path(os.environ.get("EDGEPOSE_PROTO_DIR", HERE / "proto")), HERE.parent.parent / "proto"):
        if (candidate / PROTO_FILE).is_file():
            return candidate
    raise SystemExit(f"edgepose-client: cannot find {PROTO_FILE}: build from the EdgePose repository "
                     "(clients/python) or set EDGEPOSE_PROTO_DIR to its proto/ folder")


def protoc_command(out: Path) -> list:
    protoc, plugin = shutil.which("protoc"), shutil.which("grpc_python_plugin")
    if protoc and plugin:
        # Debian's protoc finds the well-known types (google/protobuf/*.proto) under /usr/include.
        return [protoc, f"--plugin=protoc-gen-grpc_python={plugin}", f"--python_out={out}", f"--grpc_python_out={out}"]
    try:
        import grpc_tools
    except ImportError:
        raise SystemExit("edgepose-client: no gRPC stub compiler: install protoc and grpc_python_plugin "
                         "(Debian: apt-get install protobuf-compiler libprotobuf-dev protobuf-compiler-grpc) "
                         "or the grpcio-tools Python package") from None
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    return [sys.executable, "-m", "grpc_tools.protoc", f"-I{well_known}", f"--python_out={out}",
            f"--grpc_python_out={out}"]


def generate_stubs(build_lib: Path) -> None:
    root = proto_root()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run([*protoc_command(out), f"-I{root}", str(root / PROTO_FILE)], check=True)
        package = out / Path(PROTO_FILE).parent
        for folder in (package.parent, package):
            (folder / "__init__.py").touch()
        shutil.copytree(out / "edgepose", build_lib / "edgepose", dirs_exist_ok=True)


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        generate_stubs(Path(self.build_lib))


class SdistWithProto(sdist):
    """An sdist carries the proto it was cut from, so a wheel built from it generates the same stubs."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        target = Path(base_dir) / "proto" / PROTO_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(proto_root() / PROTO_FILE, target)


setup(cmdclass={"build_py": BuildWithStubs, "sdist": SdistWithProto})
