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

# qr-scanner — MIT — camera QR decoding for the check-in page (events). The ES module loads
# qr-scanner-worker.min.js from its own folder, so both files sit side by side.
pkg=$(fetch qr-scanner@1.4.2 qr-scanner)
mkdir -p static/vendor/qr-scanner
cp "$pkg/qr-scanner.min.js" "$pkg/qr-scanner-worker.min.js" static/vendor/qr-scanner/
cp "$pkg/LICENSE" static/vendor/qr-scanner/LICENSE
echo "qr-scanner 1.4.2" > static/vendor/qr-scanner/VERSION

# Chart.js — MIT — the organisers' dashboard charts (exports). The UMD build defines window.Chart
# and needs no bundler; static/js/exports/dashboard.js draws from data attributes (CSP: no inline JS).
pkg=$(fetch chart.js@4.4.7 chartjs)
mkdir -p static/vendor/chartjs
cp "$pkg/dist/chart.umd.js" static/vendor/chartjs/chart.umd.min.js
cp "$pkg/LICENSE.md" static/vendor/chartjs/LICENSE.md
echo "chart.js 4.4.7" > static/vendor/chartjs/VERSION

# DejaVu Serif 2.37.3 — free licence (Bitstream Vera + Arev; see LICENSE) — the certificates' font
# (app/certificates/pdf.py embeds it with fpdf2): it has every Vietnamese letter with its tone
# marks, and shipping the files keeps PDFs the same on every server (no system fonts needed).
pkg=$(fetch dejavu-fonts-ttf@2.37.3 dejavu)
mkdir -p static/vendor/fonts/dejavu
cp "$pkg/ttf/DejaVuSerif.ttf" "$pkg/ttf/DejaVuSerif-Bold.ttf" "$pkg/ttf/DejaVuSerif-Italic.ttf" static/vendor/fonts/dejavu/
cp "$pkg/LICENSE" static/vendor/fonts/dejavu/LICENSE
echo "dejavu-fonts-ttf 2.37.3" > static/vendor/fonts/dejavu/VERSION

echo "vendored into static/vendor/:"; ls -R static/vendor
