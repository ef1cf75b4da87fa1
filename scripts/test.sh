#!/usr/bin/env bash
# The README's test command: set up, start the real stack, lint, type-check, run every test.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/unit -k identity).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
.venv/bin/tagtrail stack up
.venv/bin/tagtrail migrate

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy --strict src"
.venv/bin/mypy src

echo "== pytest"
set +e
.venv/bin/pytest "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit $status
