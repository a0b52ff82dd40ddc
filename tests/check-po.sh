#!/bin/sh
# Translations: po/POTFILES.in lists every source file with translatable
# strings (and nothing that is missing), every language in po/LINGUAS compiles
# with `msgfmt --check`, and translates every string the sources have now.
# TAP output. Usage: check-po.sh SOURCE_ROOT
set -u
root=${1:?usage: check-po.sh SOURCE_ROOT}
cd "$root" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

listed="$tmp/listed"
grep -v '^[[:space:]]*\(#\|$\)' po/POTFILES.in | sort -u > "$listed"

# 1. Every listed file exists.
missing=""
while read -r file; do
  [ -f "$file" ] || missing="$missing $file"
done < "$listed"
if [ -z "$missing" ]; then ok "every file in POTFILES.in exists"; else not_ok "POTFILES.in lists missing files:$missing"; fi

# 2. Every file with translatable strings is listed.
found="$tmp/found"
{
  grep -rlE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|ngettext|g_dngettext)[[:space:]]*\(' app engine ui --include='*.c' 2>/dev/null
  grep -rl 'translatable="yes"' ui resources --include='*.ui' 2>/dev/null
  ls resources/*.desktop.in resources/*.metainfo.xml.in resources/*.gschema.xml 2>/dev/null
} | sort -u > "$found"
unlisted=$(comm -23 "$found" "$listed" | tr '\n' ' ')
if [ -z "$unlisted" ]; then ok "POTFILES.in lists every file with translatable strings"; else not_ok "not in POTFILES.in: $unlisted"; fi

# 3. The template, extracted as meson's glib preset does.
pot="$tmp/siamese-faces.pot"
if xgettext --package-name=siamese-faces --from-code=UTF-8 --add-comments \
     --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
     --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
     --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
     --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
     --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
     --flag=g_set_error:4:c-format --flag=g_printerr:1:c-format --flag=g_print:1:c-format \
     --files-from=po/POTFILES.in --output="$pot" 2> "$tmp/xgettext.log"; then
  # A macro inside a translatable string (G_GSIZE_FORMAT) cuts its msgid short.
  if grep -q 'warning' "$tmp/xgettext.log"; then
    not_ok "xgettext warns: $(grep warning "$tmp/xgettext.log" | tr '\n' ' ')"
  else
    ok "xgettext reads every translatable string whole"
  fi
  ok "xgettext extracts $(grep -c '^msgid ' "$pot") strings"
else
  not_ok "xgettext failed: $(cat "$tmp/xgettext.log")"
fi

# 4. Each language: compiles cleanly and is complete.
for lang in $(grep -v '^[[:space:]]*\(#\|$\)' po/LINGUAS); do
  po="po/$lang.po"
  if msgfmt --check --output-file=/dev/null "$po" 2> "$tmp/msgfmt.log"; then
    ok "$lang: msgfmt --check"
  else
    not_ok "$lang: msgfmt --check: $(cat "$tmp/msgfmt.log")"
  fi
  stats=$(msgfmt --statistics --output-file=/dev/null "$po" 2>&1)
  case "$stats" in
    *untranslated*|*fuzzy*) not_ok "$lang: incomplete: $stats" ;;
    *) ok "$lang: $stats" ;;
  esac
  if [ -s "$pot" ] && msgcmp "$po" "$pot" 2> "$tmp/msgcmp.log"; then
    ok "$lang: translates every current string"
  else
    not_ok "$lang: out of date with the sources: $(head -c 2000 "$tmp/msgcmp.log")"
  fi
done

echo "1..$n"
[ "$failed" -eq 0 ]
