#!/bin/sh
# gen-docs.sh BUILD - regenerates the parts of the docs that come from the
# registries: the lines between "<!-- NAME:begin ..." and "<!-- NAME:end -->"
# for NAME = methods, data and models (docs/lua-api.md) and topologies
# (docs/topologies.md), from `mtlab --list-NAME --markdown`; and the man
# page's version (its .TH line) from `mtlab --version`.
# tests/test_mtl_methods.c, tests/test_lua_registry.c and
# tests/test_mtl_model_gp.c fail when the
# checked-in text differs from the registries.
set -e
build="${1:-build}"
tmp="docs/.gen-docs.tmp.$$"
gen="docs/.gen-docs.gen.$$"
trap 'rm -f "$tmp" "$gen"' EXIT
for entry in methods:docs/lua-api.md data:docs/lua-api.md models:docs/lua-api.md topologies:docs/topologies.md; do
    name="${entry%%:*}"
    doc="${entry#*:}"
    "$build/mtlab" "--list-$name" --markdown >"$gen"
    grep -q "^<!-- $name:begin" "$doc" && grep -q "^<!-- $name:end -->" "$doc" ||
        { echo "gen-docs: no $name:begin / $name:end markers in $doc" >&2; exit 1; }
    awk -v gen="$gen" -v name="$name" '
      index($0, "<!-- " name ":begin") == 1 { print; while ((getline line < gen) > 0) print line; skip = 1; next }
      index($0, "<!-- " name ":end -->") == 1 { skip = 0 }
      !skip { print }
    ' "$doc" >"$tmp"
    mv "$tmp" "$doc"
    echo "gen-docs: $doc ($name)"
done
version="$("$build/mtlab" --version | awk '{ print $2 }')"
sed "s/^\(\.TH MTLAB 1 \"[^\"]*\"\) \"mtlab [^\"]*\"/\1 \"mtlab $version\"/" docs/mtlab.1 >"$tmp"
mv "$tmp" docs/mtlab.1
echo "gen-docs: docs/mtlab.1 (version $version)"
