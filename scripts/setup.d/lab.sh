#!/usr/bin/env bash
# The lab (kit/lab): hosts are containers on this machine's dockerd, built from a debootstrapped
# Debian image. Its Debian packages (debootstrap, openssh-client, iproute2, procps) are in
# scripts/setup's list, which also starts dockerd. Builds the node image and the images `lab up` writes into
# cluster.yaml's openfaas section (stand-in gateway, Debian registry, Prometheus, Alertmanager) once,
# cached by recipe.
set -euo pipefail
cd "$(dirname "$0")/../.."

docker info >/dev/null 2>&1 || { echo "lab: dockerd is not running (scripts/setup starts it)" >&2; exit 1; }
node --import tsx kit/lab/prepare.ts >/dev/null
