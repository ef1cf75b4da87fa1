"""`tagtrail sites apply` against a real PostgreSQL: create, idempotence, edits, prune."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import typer
import yaml
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from tagtrail.cli.sites import sites_apply_command
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.siteconfig import (
    Action,
    SiteConfigConflict,
    SiteConfigError,
    apply_site_config,
    load_site_file,
    parse_site_data,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "site.yaml"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def site_db(base_settings: Settings) -> AsyncIterator[str]:
    """A fresh, migrated database for this module alone; dropped afterwards."""
    server = base_settings.db_url()
    name = f"tagtrail_sites_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await drop_database(server, name)


@pytest.fixture(scope="module")
async def db(site_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(site_db)
    yield engine
    await engine.dispose()


def example_data() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))


async def apply(db: AsyncEngine, data: dict[str, Any], prune: bool = False) -> Any:
    async with db.begin() as conn:
        return await apply_site_config(conn, parse_site_data(data), prune=prune)


async def read_point(db: AsyncEngine, point_id: str) -> Any:
    async with db.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT reader_id, antenna, role, door, updated_at FROM read_points WHERE id = :i"
            ),
            {"i": point_id},
        )
        return result.one_or_none()


async def test_first_apply_creates_every_row_of_the_example(db: AsyncEngine) -> None:
    report = await apply(db, example_data())
    counts = report.counts()
    assert counts["site"][Action.created] == 2
    assert counts["zone"][Action.created] == 8
    assert counts["read_point"][Action.created] == 34
    # 3 from the file + one home custodian per site.
    assert counts["custodian"][Action.created] == 5
    assert counts["asset_type"][Action.created] == 2
    door = await read_point(db, "rtm-door-03-in")
    assert tuple(door[:4]) == ("rtm-dock-r03", 1, "portal_inside", "rtm-door-03")
    async with db.connect() as conn:
        home = await conn.execute(
            text("SELECT kind, site_id FROM custodians WHERE id = :i"), {"i": "site:dc-rtm"}
        )
        assert tuple(home.one()) == ("site", "dc-rtm")


async def test_second_apply_changes_nothing(db: AsyncEngine) -> None:
    report = await apply(db, example_data())
    assert not report.changed
    assert {c.action for c in report.changes} == {Action.unchanged}
    assert len(report.changes) == 2 + 8 + 34 + 5 + 2


async def test_editing_one_door_updates_exactly_its_read_point(db: AsyncEngine) -> None:
    before = await read_point(db, "rtm-door-05-out")
    data = example_data()
    door = data["sites"][0]["doors"][4]
    assert door["id"] == "rtm-door-05"
    door["outside_antenna"] = 4  # port 2 failed: the cable moved to spare port 4
    report = await apply(db, data)
    changed = [
        (c.kind, c.id, c.action, c.fields) for c in report.changes if c.action != "unchanged"
    ]
    assert changed == [("read_point", "rtm-door-05-out", Action.updated, ("antenna",))]
    after = await read_point(db, "rtm-door-05-out")
    assert after.antenna == 4
    # Running consumers notice the edit through updated_at.
    assert after.updated_at > before.updated_at
    await apply(db, example_data())  # back to the file as shipped


async def test_swapping_a_doors_antennas_is_one_update_per_side(db: AsyncEngine) -> None:
    data = example_data()
    door = data["sites"][0]["doors"][0]
    door["inside_antenna"], door["outside_antenna"] = (
        door["outside_antenna"],
        door["inside_antenna"],
    )
    report = await apply(db, data)
    assert report.count("read_point", Action.updated) == 2
    assert (await read_point(db, "rtm-door-01-in")).antenna == 2
    await apply(db, example_data())


async def test_without_prune_dropped_rows_stay_and_with_prune_they_go(db: AsyncEngine) -> None:
    data = example_data()
    rtm = data["sites"][0]
    rtm["doors"] = rtm["doors"][:8]  # doors 09 and 10 were bricked up
    rtm["zones"] = [z for z in rtm["zones"] if z["id"] != "rtm-quarantine"]
    rtm["zone_readers"] = [r for r in rtm["zone_readers"] if r["zone"] != "rtm-quarantine"]
    kept = await apply(db, data)
    assert not kept.changed
    assert await read_point(db, "rtm-door-10-in") is not None
    pruned = await apply(db, data, prune=True)
    deleted = sorted((c.kind, c.id) for c in pruned.changes if c.action is Action.deleted)
    assert deleted == [
        ("read_point", "rtm-door-09-in"),
        ("read_point", "rtm-door-09-out"),
        ("read_point", "rtm-door-10-in"),
        ("read_point", "rtm-door-10-out"),
        ("read_point", "rtm-quarantine-r1-ant1"),
        ("zone", "rtm-quarantine"),
    ]
    assert await read_point(db, "rtm-door-10-in") is None
    # The other site's rows are another file's business: untouched.
    assert await read_point(db, "dus-door-02-in") is not None
    await apply(db, example_data())


async def test_prune_refuses_to_delete_a_zone_where_assets_are(db: AsyncEngine) -> None:
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO assets (id, type_id, home_site_id) "
                "VALUES ('crate-1', 'crate-60x40', 'dc-rtm')"
            )
        )
        await conn.execute(
            text(
                "UPDATE asset_state SET site_id = 'dc-rtm', zone_id = 'rtm-repair' "
                "WHERE asset_id = 'crate-1'"
            )
        )
    data = example_data()
    rtm = data["sites"][0]
    rtm["zones"] = [z for z in rtm["zones"] if z["id"] != "rtm-repair"]
    rtm["zone_readers"] = [r for r in rtm["zone_readers"] if r["zone"] != "rtm-repair"]
    with pytest.raises(SiteConfigConflict, match=r"rtm-repair' \(1 assets\)"):
        await apply(db, data, prune=True)
    # All or nothing: the repair reader the same apply would have pruned is still there.
    assert await read_point(db, "rtm-repair-r1") is not None


async def test_a_pair_held_by_a_read_point_outside_the_file_is_refused(db: AsyncEngine) -> None:
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO read_points (id, reader_id, antenna, zone_id, role) "
                "VALUES ('legacy', 'legacy-reader', 1, 'dus-dock', 'zone')"
            )
        )
    data = example_data()
    data["sites"][1]["zone_readers"].append(
        {"reader": "legacy-reader", "zone": "dus-yard", "antennas": [1]}
    )
    with pytest.raises(SiteConfigConflict, match="belongs to read point 'legacy'"):
        await apply(db, data)
    report = await apply(db, data, prune=True)
    assert ("read_point", "legacy", Action.deleted) in {
        (c.kind, c.id, c.action) for c in report.changes
    }


def test_validation_errors_name_the_yaml_path() -> None:
    data = example_data()
    data["sites"][0]["doors"][3]["inside_antenna"] = -1
    data["sites"][0]["zones"][1]["kind"] = "warehouse"
    with pytest.raises(SiteConfigError) as raised:
        parse_site_data(data)
    assert raised.value.problems == [
        "sites[0].zones[1].kind: must be one of 'dock', 'storage', 'yard', 'repair', "
        "'quarantine' or 'external'",
        "sites[0].doors[3].inside_antenna: must be ≥ 0",
    ]


def test_duplicate_reader_antenna_pairs_are_rejected() -> None:
    data = example_data()
    # Duisburg's door 02 shares reader r01 with door 01 (ports 1/2): port 2 clashes.
    data["sites"][1]["doors"][1]["inside_antenna"] = 2
    with pytest.raises(SiteConfigError) as raised:
        parse_site_data(data)
    assert raised.value.problems == [
        "sites[1].doors[1].inside_antenna: reader 'dus-dock-r01' antenna 2 is already used "
        "at sites[1].doors[0].outside_antenna"
    ]


def test_the_cli_applies_with_a_dry_run_and_a_table(site_db: str, base_settings: Settings) -> None:
    cli = typer.Typer()
    cli.command("apply")(sites_apply_command)

    @cli.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = base_settings.model_copy(update={"database_url": SecretStr(site_db)})

    data = example_data()
    data["sites"][1]["zones"].append({"id": "dus-repair", "name": "Repair", "kind": "repair"})
    edited = Path(__file__).parent / f".site-{uuid.uuid4().hex[:6]}.yaml"
    edited.write_text(yaml.safe_dump(data))
    try:
        dry = CliRunner().invoke(cli, ["apply", str(edited), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "dus-repair" in dry.stdout
        assert "dry run" in dry.stdout
        real = CliRunner().invoke(cli, ["apply", str(edited)])
        assert real.exit_code == 0, real.output
        again = CliRunner().invoke(cli, ["apply", str(edited)])
        assert "no changes" in again.stdout
        bad = CliRunner().invoke(cli, ["apply", str(EXAMPLE.with_name("missing.yaml"))])
        assert bad.exit_code == 2
    finally:
        edited.unlink()


def test_the_example_file_loads() -> None:
    config = load_site_file(EXAMPLE)
    assert len(config.sites[0].doors) >= 8
