#!/usr/bin/env bash
# Function images: the Debian Node bases for all three platforms (the images tests and the demo
# build linux/amd64, linux/arm/v7 and linux/arm64 on them; no image registry is reachable here),
# and node_modules per target platform (npm --os/--cpu, from the npm registry). Both are cached
# by recipe under ~/.cache/edgefaas, so a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/../.."

for arch in amd64 armhf arm64; do
  scripts/build-base --arch "$arch" --include nodejs --name node >/dev/null
done
npx tsx kit/images/stage-all.ts
