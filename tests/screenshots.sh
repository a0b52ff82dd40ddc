#!/bin/sh
# The real binary's --screenshots mode, end to end: a picture of every view and
# of the windows it opens, each a non-empty PNG, and exit status 0. Needs a
# display (build-aux/test.sh runs the tests under xvfb-run); skips without one.
# Usage: screenshots.sh SIAMESE_FACES OUTPUT_DIR
set -u
app=${1:?usage: screenshots.sh SIAMESE_FACES OUTPUT_DIR}
out=${2:?usage: screenshots.sh SIAMESE_FACES OUTPUT_DIR}

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: run under xvfb-run" >&2
  exit 77
fi

rm -rf "$out"
if ! "$app" --screenshots "$out"; then
  echo "siamese-faces --screenshots failed" >&2
  exit 1
fi

status=0
for name in dataset pairs model train similarity people pair preferences shortcuts about model-residual; do
  file="$out/$name.png"
  if [ ! -s "$file" ]; then
    echo "missing: $file" >&2
    status=1
  elif [ "$(head -c 8 "$file" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
    echo "not a PNG: $file" >&2
    status=1
  fi
done
exit $status
