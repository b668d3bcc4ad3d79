#!/usr/bin/env bash
# Refreshes the trimmed copy of MathJax 3 in _vendor/mathjax from the npm
# registry. The book serves math from its own site so it renders offline; we
# keep only what tex-chtml needs (fonts, TeX extensions, menu, a11y), ~3 MB.
set -euo pipefail
version=${1:-3.2.2}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "mathjax@$version" >/dev/null && tar xzf mathjax-*.tgz)
dest="$top/_vendor/mathjax"
rm -rf "$dest"; mkdir -p "$dest/output" "$dest/input/tex"
es5="$tmp/package/es5"
cp "$es5/tex-chtml.js" "$dest/"
cp -r "$es5/output/chtml" "$dest/output/"
cp -r "$es5/input/tex/extensions" "$dest/input/tex/"
cp -r "$es5/ui" "$es5/a11y" "$dest/"
cp "$tmp/package/LICENSE" "$dest/"
echo "MathJax $version (npm package mathjax, es5 build, trimmed by tools/vendor_mathjax.sh)" > "$dest/VERSION"
