#!/usr/bin/env bash
# The Python client's tests against the real daemon: installs clients/python into a fresh venv that sees Debian's
# grpcio, protobuf, numpy, OpenCV and pytest (--system-site-packages), exactly as the README says, then runs pytest.
# Needs the daemon built (dotnet build -c Release) and the Debian packages deploy/dev.sh test installs.
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --quiet --no-build-isolation --no-index ./clients/python
# pytest exits 5 when it collects nothing; set -e makes that (like any failure) fail the run.
cd clients/python/tests
"$venv/bin/python" -m pytest -p no:cacheprovider -q "$@"
