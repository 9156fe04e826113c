#!/usr/bin/env bash
# Debian/Ubuntu packages spiceview needs. `--test` adds what the test suite and benchmarks use
# (real SPICE servers, X servers, reference clients). Run as root (or through sudo).
set -euo pipefail

RUNTIME=(
    python3 python3-pip python3-dev build-essential pkg-config libcairo2-dev
    libgl1 libegl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
    libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1 libxcb-shm0 libfontconfig1 libdbus-1-3
    libportaudio2 libsasl2-2 libsasl2-modules libusb-1.0-0
)
TEST=(
    xserver-xspice xvfb x11-apps x11-xserver-utils x11-utils xdotool imagemagick xterm fonts-dejavu-core
    spice-client-gtk virt-viewer openssl libgl1-mesa-dri spice-vdagent qemu-system-x86 xclip
    x11-xkb-utils adwaita-icon-theme libxtst6 libxdamage1 libxfixes3 xserver-xorg-core xserver-xorg-video-dummy openbox
    pulseaudio pulseaudio-utils libasound2-plugins
    mpv ffmpeg feh gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad
    gstreamer1.0-libav
    busybox-static cpio kmod sasl2-bin libsasl2-modules
    xdg-utils libfile-mimeinfo-perl desktop-file-utils appstream shared-mime-info weston python3-venv xorriso
)

packages=("${RUNTIME[@]}")
if [[ "${1:-}" == "--test" ]]; then
    packages+=("${TEST[@]}")
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
