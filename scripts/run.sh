#!/usr/bin/env bash
# The README's main-job command: set up everything, start the real stack, and run the demo —
# a day of returnable crates through LLRP readers, handhelds, Kafka, the consumer and the
# sweeper, compared with its ground truth — then keep the API and dashboard up until Ctrl-C.
# Extra arguments go to `tagtrail demo` (e.g. --exit, --json, --assets 20000).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
.venv/bin/tagtrail stack up
.venv/bin/tagtrail migrate
exec .venv/bin/tagtrail demo "$@"
