"""`tagtrail demo --exit --json` as a user runs it: it finishes and matches its ground truth
(issue 8's bar: location and custody accuracy ≥ 0.99; unauthorized_exit and overdue_return
recall 1.0 with precision ≥ 0.95), with the noise on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from e2e_harness import free_port

pytestmark = pytest.mark.slow


def test_demo_matches_its_ground_truth() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TAGTRAIL_DATABASE_URL", "TAGTRAIL_KAFKA_BOOTSTRAP")
    }
    done = subprocess.run(
        [sys.executable, "-m", "tagtrail", "demo", "--exit", "--json", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["assets"] >= 10_000
    assert summary["reads"] > 100_000
    assert summary["location_accuracy"] >= 0.99
    assert summary["custody_accuracy"] >= 0.99
    for kind in ("unauthorized_exit", "overdue_return"):
        assert summary["alerts"][kind]["recall"] == 1.0, summary["alerts"]
        assert summary["alerts"][kind]["precision"] >= 0.95, summary["alerts"]
