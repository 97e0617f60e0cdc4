#!/usr/bin/env bash
# Installs what cfcam needs on a fresh Debian/Ubuntu machine: the C libraries (when missing) and,
# with --python, the pinned Python reference environment used by tests and benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(libprotobuf-c-dev protobuf-c-compiler libopenblas-dev libpng-dev libzip-dev libsqlite3-dev libturbojpeg0-dev libwebp-dev pkg-config)
# The test environment (--python) also needs headless Chromium: the HTML report test opens a page in it.
if [ "${1:-}" = "--python" ]; then pkgs+=(chromium); fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null; then
  echo "setup: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1
fi
if [ "${1:-}" = "--python" ]; then
  bash scripts/setup-python.sh
fi
