#!/bin/sh
# Register spiceview from this checkout with the desktop for the current user: menu entry, icons, AppStream
# metadata, the .vv file type (application/x-virt-viewer) and the spice:// and spice+tls:// link handlers.
#
#   sh packaging/install-desktop.sh            install (again: it only overwrites its own files)
#   sh packaging/install-desktop.sh --remove   take them out again
#
# The same as `spiceview --install-desktop user` once spiceview is installed (spiceview/desktop.py does the work).
# Files go under ${XDG_DATA_HOME:-~/.local/share}; nothing needs root.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
python=${PYTHON:-python3}
case "${1:-}" in
--remove | --uninstall) action=remove ;;
"") action=install ;;
*)
    echo "usage: $0 [--remove]" >&2
    exit 2
    ;;
esac
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m spiceview.desktop "$action"
