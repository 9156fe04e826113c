#!/bin/sh
# Build spiceview's self-contained one-folder bundle with PyInstaller (pip install pyinstaller, or '.[test]'):
#
#   sh packaging/build-bundle.sh [OUTPUT_DIR]     -> OUTPUT_DIR/spiceview/ (default: dist/), spiceview and spiceview-do,
#                                                    and OUTPUT_DIR/spiceview-VERSION-SYSTEM-MACHINE.tar.gz of it
#
# The folder runs without Python or spiceview installed: OUTPUT_DIR/spiceview/spiceview spice://host:port.
# On Linux it uses the system's libportaudio2 for sound, as the wheel does.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
out=${1:-$here/dist}
work=${TMPDIR:-/tmp}/spiceview-pyinstaller-$$
python=${PYTHON:-python3}
"$python" -m PyInstaller --noconfirm --log-level WARN --distpath "$out" --workpath "$work" "$here/packaging/spiceview.spec"
rm -rf "$work"
ln -sf spiceview "$out/spiceview/spiceview-do"
version=$("$out/spiceview/spiceview" --version | cut -d' ' -f2)
archive=spiceview-$version-$(uname -s | tr 'A-Z' 'a-z')-$(uname -m).tar.gz
tar -C "$out" -czf "$out/$archive" spiceview
echo "spiceview: bundle in $out/spiceview ($(du -sh "$out/spiceview" | cut -f1)), archived as $out/$archive"
