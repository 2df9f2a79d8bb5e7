#!/usr/bin/env bash
# The CLI's needs: the init wizard is tested in a real terminal (tmux). Idempotent, quick when done.
set -euo pipefail
if [[ "${SETUP_FOR_TESTS:-0}" == 1 ]] && ! command -v tmux >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux >/dev/null
fi
