"""The reports through their interfaces, on the fixture of test_report_figures: GET /v1/reports/...
(scope, site-limited keys, bad input as problem+json) and `tagtrail report ... --format`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import create_async_engine
from test_report_figures import HOUR, fixture_database
from typer.testing import CliRunner

from api.auth import new_key
from tagtrail.bootstrap import create_api
from tagtrail.cli import app as cli_app
from tagtrail.settings import Settings
from tracker.store.keys import insert_key

runner = CliRunner()


async def _key(url: str, scopes: list[str], sites: list[str] | None = None) -> str:
    key_id, full_key, digest = new_key()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await insert_key(conn, key_id, "reports-test", digest, scopes, sites)
    finally:
        await engine.dispose()
    return full_key


@pytest.fixture(scope="module")
async def reports_db(base_settings: Settings) -> AsyncIterator[str]:
    async with fixture_database(base_settings) as url:
        yield url


@pytest.fixture(scope="module")
async def client(base_settings: Settings, reports_db: str) -> AsyncIterator[Any]:
    keys = {
        "reader": await _key(reports_db, ["assets:read"]),
        "dc2": await _key(reports_db, ["assets:read"], sites=["dc2"]),
        "writer": await _key(reports_db, ["assets:write"]),
    }
    app = create_api(base_settings.model_copy(update={"database_url": SecretStr(reports_db)}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tt") as http,
    ):
        yield http, {name: {"Authorization": f"Bearer {key}"} for name, key in keys.items()}


async def test_value_stream_over_http(client: Any) -> None:
    http, auth = client
    answer = await http.get(
        "/v1/reports/value-stream", params={"by": "type"}, headers=auth["reader"]
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["by_custodian"] is None  # not asked for
    # the figures of test_report_figures.test_value_stream_overall: 7 loops, p50 100 h, p90 216 h
    assert body["overall"]["loops"] == 7
    assert body["overall"]["lead_time_p50_s"] == 100 * HOUR
    assert body["overall"]["lead_time_p90_s"] == pytest.approx(216 * HOUR)
    assert body["overall"]["bottleneck"] == "at_custodian"
    assert {g["key"] for g in body["by_type"]} == {"crate", "rack"}
    ranged = await http.get(
        "/v1/reports/value-stream",
        params={"since": "2026-10-09T04:00:00+00:00", "until": "2026-10-17T12:00:00Z"},
        headers=auth["reader"],
    )  # [100 h, 300 h) after Mon 5 Oct 00:00: 4 loops
    assert ranged.json()["overall"]["loops"] == 4


async def test_a_site_limited_key_sees_only_its_sites(client: Any) -> None:
    http, auth = client
    mine = (await http.get("/v1/reports/value-stream", headers=auth["dc2"])).json()
    assert mine["sites"] == ["dc2"]
    assert mine["overall"]["loops"] == 1  # r2 alone
    loss = (await http.get("/v1/reports/loss", headers=auth["dc2"])).json()
    assert loss["overall"]["lost_count"] == 1
    assert Decimal(loss["overall"]["lost_value"]) == Decimal("900.00")
    assert loss["overall"]["overdue_count"] == 0
    refused = await http.get("/v1/reports/loss", params={"site": "dc1"}, headers=auth["dc2"])
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    both = await http.get(
        "/v1/reports/loss", params=[("site", "dc1"), ("site", "dc2")], headers=auth["reader"]
    )
    assert both.json()["sites"] == ["dc1", "dc2"]
    assert both.json()["overall"]["lost_count"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-10-05T00:00:00"}, "query.since"),  # no offset
        ({"until": "yesterday"}, "query.until"),
        ({"since": "2026-10-09T00:00:00Z", "until": "2026-10-09T00:00:00Z"}, "query.until"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "query.since"),  # no UTC moment
        ({"site": ""}, "query.site.0"),
        ({"by": "planet"}, "query.by.0"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    client: Any, params: dict[str, str], field: str
) -> None:
    http, auth = client
    paths = ["/v1/reports/value-stream", "/v1/reports/loss"]
    for path in paths[:1] if "by" in params else paths:  # only the value stream takes `by`
        answer = await http.get(path, params=params, headers=auth["reader"])
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == field


async def test_reports_need_assets_read(client: Any) -> None:
    http, auth = client
    assert (await http.get("/v1/reports/loss")).status_code == 401
    assert (await http.get("/v1/reports/loss", headers=auth["writer"])).status_code == 403


# -- the CLI ----------------------------------------------------------------------------------


def _cli(url: str, *args: str) -> Any:
    return runner.invoke(cli_app, ["report", *args], env={"TAGTRAIL_DATABASE_URL": url})


def test_value_stream_csv_by_type(reports_db: str) -> None:
    done = _cli(reports_db, "value-stream", "--by", "type", "--format", "csv")
    assert done.exit_code == 0, done.output
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(done.stdout))}
    assert set(rows) == {"crate", "rack"}
    assert float(rows["rack"]["lead_time_p50_s"]) == 155 * HOUR
    assert rows["rack"]["bottleneck"] == "return_transit"
    assert float(rows["crate"]["at_custodian_p50_s"]) == 45 * HOUR


def test_loss_json_to_a_file(reports_db: str, tmp_path: Path) -> None:
    target = tmp_path / "loss.json"
    done = _cli(reports_db, "loss", "--site", "dc2", "--format", "json", "-o", str(target))
    assert done.exit_code == 0, done.output
    report = json.loads(target.read_text())
    assert report["sites"] == ["dc2"]
    assert [w["week"] for w in report["weekly"]] == ["2026-10-19"]
    assert Decimal(report["overall"]["lost_value"]) == Decimal("900.00")


def test_loss_csv_by_week_in_a_range(reports_db: str) -> None:
    args = ["loss", "--since", "2026-10-12", "--until", "2026-10-26", "--by", "week"]
    done = _cli(reports_db, *args, "--format", "csv")
    assert done.exit_code == 0, done.output
    rows = csv.DictReader(io.StringIO(done.stdout))
    weeks = [(r["key"], r["overdue_count"], r["lost_count"], r["lost_value"]) for r in rows]
    # raised from Mon 12 Oct to Sun 25 Oct: c3 and r1 overdue; r2 (900) and c3 (42.50) lost
    assert weeks == [("2026-10-12", "2", "0", "0.00"), ("2026-10-19", "0", "2", "942.50")]


def test_value_stream_table_for_people(reports_db: str) -> None:
    done = _cli(reports_db, "value-stream", "--by", "custodian")
    assert done.exit_code == 0, done.output
    assert "value stream by custodian" in done.stdout
    assert "acme" in done.stdout
    assert "4.6 d" in done.stdout  # acme's median lead time: 110 h


async def test_recovery_over_http(client: Any) -> None:
    http, auth = client
    body = (await http.get("/v1/reports/recovery", headers=auth["reader"])).json()
    # the figures of test_report_figures.test_recovery_overall
    assert body["overall"]["cases"] == 5
    assert Decimal(body["overall"]["net_value"]) == Decimal("406.20")
    assert body["overall"]["redeployment_rate"] == 0.4
    mine = (await http.get("/v1/reports/recovery", headers=auth["dc2"])).json()
    assert [g["key"] for g in mine["by_path"]] == ["parts"]  # r2's case alone


def test_recovery_csv_by_path(reports_db: str) -> None:
    done = _cli(reports_db, "recovery", "--by", "path", "--format", "csv")
    assert done.exit_code == 0, done.output
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(done.stdout))}
    assert list(rows) == ["parts", "redeploy", "resale", "recycling"]  # largest net first
    assert (rows["redeploy"]["net_value"], rows["redeploy"]["redeployment_rate"]) == ("80.00", "1")
    assert float(rows["redeploy"]["intake_to_done_p50_s"]) == 29 * HOUR
