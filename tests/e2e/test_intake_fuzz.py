"""Fuzzing the HTTP intake of a real `tagtrail api` process: whatever arrives, the answer is a
clear 2xx/4xx (problem+json for errors), never a 5xx other than Kafka's 503."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_harness import RunningApi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
tag_read_like = st.fixed_dictionaries(
    {
        "v": st.sampled_from([1, 2, "1", None]),
        "read_id": st.text(max_size=80),
        "reader_id": st.text(max_size=80),
        "antenna": st.none() | st.integers(-5, 70_000),
        "tag": st.text(max_size=150)
        | st.sampled_from(["3314257BF40C0E4000000190", "urn:epc:id:grai:0614141.12345.400"]),
        "tag_kind": st.sampled_from(["epc", "barcode", "rfid"]),
        "seen_at": st.text(max_size=40)
        | st.sampled_from(
            ["2026-11-24T10:00:00+00:00", "2026-11-24T10:00:00", "1999-01-01T00:00:00Z"]
        ),
        "rssi": st.none() | st.floats(-300, 300, allow_nan=False),
        "count": st.integers(-3, 5),
        "source": st.sampled_from(["llrp", "push", "handheld", "x"]),
    }
)
bodies = (
    st.binary(max_size=300).map(lambda b: ("raw", b))
    | json_values.map(lambda v: ("json", v))
    | st.lists(tag_read_like, max_size=3).map(lambda v: ("json", v))
)
ENDPOINTS = [
    "/v1/reads",
    "/v1/reads/impinj",
    "/v1/reads/zebra?reader_id=fx-1",
    "/v1/scans",
    "/v1/scans?wait=true",
]


@pytest.fixture(scope="module")
def api_client(running_api: RunningApi) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=running_api.base_url,
        timeout=15,
        headers={"Authorization": f"Bearer {running_api.admin_key}"},
    ) as client:
        yield client


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(endpoint=st.sampled_from(ENDPOINTS), body=bodies)
def test_intake_never_answers_a_server_error(
    api_client: httpx.Client, endpoint: str, body: tuple[str, Any]
) -> None:
    kind, value = body
    response = (
        api_client.post(endpoint, content=value)
        if kind == "raw"
        else api_client.post(endpoint, json=value)
    )
    assert response.status_code < 500, (endpoint, value, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code
