#!/bin/sh
# Register spiceview with the desktop for the current user: menu entry, icon, the .vv file type
# (application/x-virt-viewer) and the spice:// and spice+tls:// link handlers.
#
#   sh packaging/install-desktop.sh            install (again: it only overwrites its own files)
#   sh packaging/install-desktop.sh --remove   take them out again
#
# Files go under ${XDG_DATA_HOME:-~/.local/share}; nothing needs root. spiceview itself must be on
# the PATH the desktop session sees (pip install --user puts it in ~/.local/bin). This does not make
# spiceview the default handler; for that: xdg-mime default spiceview.desktop x-scheme-handler/spice
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
mime=$data/mime
icons=$data/icons/hicolor

refresh() {
    # The caches are optional: without the tools, desktops rescan these directories themselves.
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$mime" || echo "install-desktop: update-mime-database failed" >&2
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database "$apps" || echo "install-desktop: update-desktop-database failed" >&2
    fi
    if [ -f "$icons/index.theme" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$icons" || true
    fi
}

case "${1:-}" in
--remove | --uninstall)
    rm -f "$apps/spiceview.desktop" "$mime/packages/spiceview.xml" "$icons/scalable/apps/spiceview.svg"
    mkdir -p "$apps" "$mime/packages"
    refresh
    echo "spiceview: desktop files removed from $data"
    exit 0
    ;;
"") ;;
*)
    echo "usage: $0 [--remove]" >&2
    exit 2
    ;;
esac

for file in spiceview.desktop spiceview-mime.xml spiceview.svg; do
    if [ ! -f "$here/resources/$file" ]; then
        echo "install-desktop: $here/resources/$file is missing" >&2
        exit 1
    fi
done

mkdir -p "$apps" "$mime/packages" "$icons/scalable/apps"
# cp onto the same names each time: running this twice leaves the same result.
cp "$here/resources/spiceview.desktop" "$apps/spiceview.desktop"
cp "$here/resources/spiceview-mime.xml" "$mime/packages/spiceview.xml"
cp "$here/resources/spiceview.svg" "$icons/scalable/apps/spiceview.svg"
chmod 644 "$apps/spiceview.desktop" "$mime/packages/spiceview.xml" "$icons/scalable/apps/spiceview.svg"
refresh

if ! command -v spiceview >/dev/null 2>&1; then
    echo "install-desktop: note: 'spiceview' is not on the PATH; the menu entry stays hidden until it is" >&2
fi
echo "spiceview: desktop files installed in $data"
