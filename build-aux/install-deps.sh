#!/usr/bin/env bash
# Installs the Debian 12 packages Siamese Faces needs to build, run and test —
# only those not installed yet. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  meson ninja-build pkgconf gcc
  libglib2.0-dev libglib2.0-dev-bin libjson-glib-dev libopenblas-dev libpng-dev zlib1g-dev
  libgtk-4-dev libadwaita-1-dev libgtk-4-bin adwaita-icon-theme
  gettext desktop-file-utils appstream
  xvfb xauth dbus-daemon dbus-x11
  python3 python3-numpy
  # ONNX export: protoc-c compiles the ONNX schema libonnx-dev ships; libprotobuf-c is the runtime.
  libonnx-dev protobuf-c-compiler libprotobuf-c-dev
  # The ONNX round trip's real clients (tests/onnx-roundtrip.sh): about half a minute to install.
  python3-onnx python3-opencv
)
# PyTorch (about 1 GB with its libraries) only when asked: the tests that need
# it (torch-roundtrip, torchrun) skip with a message without it.
if [[ ${SF_WITH_PYTORCH:-0} == 1 ]]; then
  # scipy reads the peer program's .mat; tcmalloc is the peer's allocator in compare-peer.sh.
  packages+=(python3-torch python3-pil python3-scipy libtcmalloc-minimal4)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "Installing: ${missing[*]}" >&2
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
