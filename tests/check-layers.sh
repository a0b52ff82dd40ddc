#!/bin/sh
# The layering rule of the README's Architecture section, checked on the
# tree: app/ -> ui/ -> engine/, nothing includes upward. Every quoted
# #include is resolved to the folder that holds the header; engine/ may name
# only engine/ headers (and those the build generates), ui/ only ui/ and
# engine/; the engine names no GTK, GDK or cairo header at all.
# TAP output. Usage: check-layers.sh SOURCE_ROOT
set -u
root=${1:?usage: check-layers.sh SOURCE_ROOT}
cd "$root" || exit 1

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# Prints "FILE includes HEADER (DIR/)" for every quoted include of FILES whose
# header lives in one of the folders named after the files (a header found in
# none of engine/, ui/ and app/ is made by the build, e.g. the ONNX protobuf
# code).
upward () {
  files=$1; shift
  # shellcheck disable=SC2086
  grep -H '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $files | sed 's/^\([^:]*\):.*"\(.*\)".*/\1 \2/' |
    while read -r file header; do
      name=${header##*/}
      for banned in "$@"; do
        [ -f "$banned/$name" ] && echo "$file includes $header ($banned/)"
      done
    done
}

engine_files=$(ls engine/*.c engine/*.h)
ui_files=$(ls ui/*.c ui/*.h)

bad=$(upward "$engine_files" ui app)
if [ -z "$bad" ]; then ok "engine/ includes nothing from ui/ or app/"; else not_ok "engine/ includes upward: $bad"; fi

bad=$(upward "$ui_files" app)
if [ -z "$bad" ]; then ok "ui/ includes nothing from app/"; else not_ok "ui/ includes upward: $bad"; fi

bad=$(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(gtk|gdk|cairo|adwaita|pango)' $engine_files | tr '\n' ' ')
if [ -z "$bad" ]; then ok "engine/ includes no GTK, GDK, cairo, Pango or libadwaita header"; else not_ok "engine/ includes display headers: $bad"; fi

# app/ holds entry points only: main.c and the cli*.c files with their header.
extra=$(ls app | grep -vE '^(main\.c|cli[a-z-]*\.[ch]|meson\.build)$' | tr '\n' ' ')
if [ -z "$extra" ]; then ok "app/ holds only main.c and the cli*.c entry points"; else not_ok "app/ holds more than entry points: $extra"; fi

# The ui library is compiled from ui/ alone, the engine library from engine/.
bad=$(grep -nE "'\.\./(app|ui)/" engine/meson.build; grep -nE "'\.\./app/" ui/meson.build)
if [ -z "$bad" ]; then ok "the engine and ui libraries compile no source from a layer above"; else not_ok "meson compiles upward: $bad"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
