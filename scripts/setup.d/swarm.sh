#!/usr/bin/env bash
# edgefaas up on Swarm: what its tests and bench need beyond scripts/setup's packages (docker.io,
# debootstrap, docker-registry). The lab images (stand-in gateway, Debian registry) are built on
# first use from Debian bases; with --test, warm those bases here so the tests spend no time on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ "${SETUP_FOR_TESTS:-0}" == 1 ]] || exit 0
# The stand-in gateway runs on Debian's Node; the lab registry is Debian's docker-registry.
scripts/build-base --arch amd64 --include nodejs --name node >/dev/null
scripts/build-base --arch amd64 --include docker-registry --name registry >/dev/null
# The lab's Prometheus and Alertmanager are Debian's packages.
scripts/build-base --arch amd64 --include prometheus,prometheus-alertmanager --name monitoring >/dev/null
