#!/usr/bin/env bash
# The lab (kit/lab): hosts are containers on this machine's dockerd, built from a debootstrapped
# Debian image. Needs: debootstrap, openssh-client (ssh-keygen, ssh-agent for tests), iproute2,
# dockerd running (scripts/setup starts it). Builds the node image and the images `lab up` writes into
# cluster.yaml's openfaas section (stand-in gateway, Debian registry, Prometheus, Alertmanager) once,
# cached by recipe.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for p in debootstrap openssh-client iproute2 procps; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

docker info >/dev/null 2>&1 || { echo "lab: dockerd is not running (scripts/setup starts it)" >&2; exit 1; }
node --import tsx kit/lab/prepare.ts >/dev/null
