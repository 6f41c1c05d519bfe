#!/bin/sh
# gen-docs.sh BUILD - regenerates the parts of the docs that come from the
# registries: the method tables of docs/lua-api.md, between the lines
# "<!-- methods:begin ..." and "<!-- methods:end -->", from
# `mtlab --list-methods --markdown`. tests/test_mtl_methods.c fails when
# the checked-in text differs from the registry.
set -e
build="${1:-build}"
doc=docs/lua-api.md
tmp="$doc.tmp.$$"
gen="$doc.gen.$$"
trap 'rm -f "$tmp" "$gen"' EXIT
"$build/mtlab" --list-methods --markdown >"$gen"
awk -v gen="$gen" '
  /^<!-- methods:begin/ { print; while ((getline line < gen) > 0) print line; skip = 1; next }
  /^<!-- methods:end -->/ { skip = 0 }
  !skip { print }
' "$doc" >"$tmp"
grep -q '^<!-- methods:end -->' "$tmp" || { echo "gen-docs: no methods markers in $doc" >&2; exit 1; }
mv "$tmp" "$doc"
echo "gen-docs: $doc"
