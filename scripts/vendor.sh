#!/usr/bin/env bash
# Copies third-party front-end files from their npm packages into static/vendor/, with licences.
# Run by hand when bumping a version (the results are committed: venues have no internet).
#   bash scripts/vendor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME@VERSION → unpacked into $work/NAME
  local spec=$1 dir=$work/$2
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar -xzf ./*.tgz)
  echo "$dir/package"
}

# Pico CSS — MIT — classless-friendly, accessible, mobile-first base styles.
pkg=$(fetch @picocss/pico@2.1.1 pico)
mkdir -p static/vendor/pico
cp "$pkg/css/pico.min.css" static/vendor/pico/
cp "$pkg/LICENSE.md" static/vendor/pico/LICENSE.md
echo "@picocss/pico 2.1.1" > static/vendor/pico/VERSION

echo "vendored into static/vendor/:"; ls -R static/vendor
