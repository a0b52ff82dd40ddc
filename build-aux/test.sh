#!/usr/bin/env bash
# Installs what is missing, builds Siamese Faces warning-free, runs every test
# (UI tests in a virtual X server), then again under AddressSanitizer +
# UndefinedBehaviorSanitizer: the engine suite (the engine's tests, the CLI's
# tests/cli.sh, the fuzz passes of the dataset, pickle, model and gallery
# readers) and the display-free UI tests of suite 'sanitized' (the session and
# the People view's job on models and galleries). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build-aux/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
skipped=0

# Adds the results of one meson test run (its testlog.json) to the totals.
count_results () {
  local log="$1/meson-logs/testlog.json"
  if [[ ! -s "$log" ]]; then
    failed=$((failed + 1))
    return
  fi
  read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    result = json.loads(line).get("result")
    if result in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif result == "SKIP":
        s += 1
    else:
        f += 1
print(p, f, s)
PY
)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

# configure_and_build DIR [meson options...]
configure_and_build () {
  local dir=$1; shift
  if [[ -f "$dir/build.ninja" ]]; then
    meson setup --reconfigure "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1
  else
    meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1
  fi || { cat "$dir.setup.log"; return 1; }
  ninja -C "$dir"
}

ui_env=(
  env GTK_A11Y=test GSK_RENDERER=cairo GDK_BACKEND=x11 GSETTINGS_BACKEND=memory
  NO_AT_BRIDGE=1 GTK_ENABLE_ANIMATIONS=0 GDK_DEBUG= LC_ALL=C.UTF-8
)

echo "== Build (warnings are errors)"
if configure_and_build build; then
  echo "== Tests"
  rm -f build/meson-logs/testlog.json
  # dbus-run-session gives GTK a session bus; xvfb-run a display. Neither leaks past the run.
  timeout 1500 dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" \
    "${ui_env[@]}" meson test -C build --print-errorlogs --num-processes 2
  count_results build
else
  echo "build failed"
  failed=$((failed + 1))
fi

echo "== Engine, CLI, fuzz and display-free UI tests under AddressSanitizer + UndefinedBehaviorSanitizer"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if configure_and_build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
  rm -f build-asan/meson-logs/testlog.json
  timeout 1500 meson test -C build-asan --suite engine --suite sanitized --print-errorlogs --num-processes 2 \
    --timeout-multiplier 3
  count_results build-asan
else
  echo "sanitizer build failed"
  failed=$((failed + 1))
fi

summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary="$summary, $skipped skipped"
echo "$summary"
[[ $failed -eq 0 ]]
