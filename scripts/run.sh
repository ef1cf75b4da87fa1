#!/usr/bin/env bash
# The README's main-job command: set up, start the real stack, migrate, serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
.venv/bin/tagtrail stack up
.venv/bin/tagtrail migrate
echo "API on http://127.0.0.1:${TAGTRAIL_API_PORT:-8000} (Ctrl-C stops it; 'tagtrail stack down' stops the stack)"
exec .venv/bin/tagtrail api "$@"
