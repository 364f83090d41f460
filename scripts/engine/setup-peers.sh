#!/usr/bin/env bash
# The peers for scripts/bench-peers.ts, from PyPI, in their own venv (.engine/peers-venv, git-ignored):
# guidellm pulls in torch and the CUDA wheels (several GB, a few minutes); nothing of it runs a GPU here.
# Idempotent: a venv that already imports both is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${LOADSHAPE_ENGINE_DIR:-$PWD/.engine}/peers-venv"
# Pinned: the README's table names these versions.
GUIDELLM_VERSION="${GUIDELLM_VERSION:-0.8.1}"
AIPERF_VERSION="${AIPERF_VERSION:-0.13.0}"
if [[ -x "$VENV/bin/guidellm" && -x "$VENV/bin/aiperf" ]]; then
  echo "[peers setup] reusing $VENV" >&2
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "guidellm==$GUIDELLM_VERSION" "aiperf==$AIPERF_VERSION"
echo "[peers setup] installed guidellm $GUIDELLM_VERSION and aiperf $AIPERF_VERSION in $VENV" >&2
