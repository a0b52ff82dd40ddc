#!/usr/bin/env bash
# Installs what is missing, builds Siamese Faces and launches it.
# Arguments are passed to the app (e.g. a dataset folder).
set -euo pipefail
cd "$(dirname "$0")/.."

build-aux/install-deps.sh
if [[ -f build/build.ninja ]]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build >/dev/null
fi
ninja -C build

# Run from the build folder, the app finds that build's schema and translations itself.
exec build/app/siamese-faces "$@"
