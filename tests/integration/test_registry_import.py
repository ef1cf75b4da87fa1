"""`tagtrail assets import` against a real PostgreSQL: loads, rejects, idempotence, atomicity."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import typer
from epcpy.epc_schemes.grai import GRAI, GRAIFilterValue
from epcpy.epc_schemes.sgtin import SGTIN, SGTINFilterValue
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from bench.registry_import import grai_96_hex, grai_barcode
from tagtrail.cli.assets import assets_import_command
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.identity import IdentifierError, canonical_tag, decode
from tracker.registry_import import (
    COLUMNS,
    IdentifierCanonicaliser,
    ImportReport,
    RegistryFileError,
    import_registry,
)
from tracker.siteconfig import apply_site_config, load_site_file

EXAMPLE = Path(__file__).parents[2] / "examples" / "site.yaml"
HEADER = ",".join(COLUMNS)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def registry_db(base_settings: Settings) -> AsyncIterator[str]:
    """A fresh, migrated database with the example sites and asset types; dropped after."""
    server = base_settings.db_url()
    name = f"tagtrail_registry_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await apply_site_config(conn, load_site_file(EXAMPLE))
        await engine.dispose()
        yield url
    finally:
        await drop_database(server, name)


@pytest.fixture(scope="module")
async def db(registry_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(registry_db)
    yield engine
    await engine.dispose()


def crate(number: int, **overrides: str) -> dict[str, str]:
    row = {
        "asset_id": f"crate-{number}",
        "type": "crate-60x40",
        "home_site": "dc-rtm",
        "epc": grai_96_hex("12345", number),
        "barcode": grai_barcode("12345", number),
        "serial": "",
        "owner": "",
        "value": "",
    }
    return row | overrides


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


async def run_import(
    db: AsyncEngine, data: bytes, **options: Any
) -> tuple[ImportReport, list[dict[str, str]]]:
    rejects = io.StringIO()
    async with db.begin() as conn:
        report = await import_registry(conn, io.BytesIO(data), rejects=rejects, **options)
    return report, list(csv.DictReader(io.StringIO(rejects.getvalue())))


async def scalar(db: AsyncEngine, sql: str, **params: Any) -> Any:
    async with db.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def test_good_rows_load_and_each_bad_kind_is_rejected_with_line_and_reason(
    db: AsyncEngine,
) -> None:
    async with db.begin() as conn:
        await conn.execute(text("INSERT INTO assets (id, type_id, home_site_id) VALUES "
                                "('crate-old', 'crate-60x40', 'dc-rtm')"))  # fmt: skip
        await conn.execute(
            text("INSERT INTO asset_identifiers VALUES (:v, 'epc', 'crate-old')"),
            {"v": canonical_tag(grai_96_hex("12345", 500), "epc")},
        )
    rows = [
        crate(100),  # line 2
        crate(101, owner="albert-dc-zaandam", value="42.50"),  # 3
        crate(102, type="pallet-euro"),  # 4: unknown type
        crate(103, home_site="dc-nowhere"),  # 5: unknown site
        crate(104, epc="NOT-AN-EPC", barcode=""),  # 6: bad EPC
        crate(105, epc="", barcode="(8003)00614141123459105"),  # 7: wrong check digit
        crate(106, asset_id=""),  # 8: missing asset_id
        crate(107, asset_id="crate-107b", epc=grai_96_hex("12345", 100), barcode=""),  # 9: dup
        crate(108, epc=grai_96_hex("12345", 500), barcode=""),  # 10: bound to crate-old
        crate(109, epc="", barcode="", serial=""),  # 11: no identifier
        crate(110, value="lots"),  # 12: bad value
        crate(100, epc=grai_96_hex("12345", 111), barcode=""),  # 13: asset_id again
        {"asset_id": "ht-0001", "type": "handheld-terminal", "home_site": "dc-dus",
         "epc": "", "barcode": "", "serial": "HT0000000001", "owner": "", "value": "1450"},  # 14
    ]  # fmt: skip
    report, rejects = await run_import(db, csv_bytes(rows))
    assert (report.rows, report.assets_created, report.rejected) == (13, 3, 10)
    problems = {int(r["line"]): (r["problem"], r["reason"]) for r in rejects}
    assert problems == {
        4: ("unknown_type", "unknown asset type 'pallet-euro'"),
        5: ("unknown_site", "unknown home_site 'dc-nowhere'"),
        6: ("bad_epc", problems[6][1]),
        7: ("bad_barcode", problems[7][1]),
        8: ("missing_asset_id", "missing asset_id"),
        9: ("duplicate_identifier",
            "identifier urn:epc:id:grai:0614141.12345.100 is also on line 2"),
        10: ("identifier_taken", "identifier urn:epc:id:grai:0614141.12345.500 already "
             "belongs to asset 'crate-old'"),
        11: ("no_identifier", "no identifier: give an epc, a barcode or a serial"),
        12: ("bad_value", "value 'lots' is not a number"),
        13: ("duplicate_asset_id", "asset_id 'crate-100' is also on line 2"),
    }  # fmt: skip
    assert "NOT-AN-EPC" in problems[6][1]
    assert "wrong check digit" in problems[7][1]
    # The refused row is in the rejects file as it was, ready to be fixed and re-imported.
    assert [r["asset_id"] for r in rejects if r["line"] == "4"] == ["crate-102"]
    assert await scalar(db, "SELECT value FROM assets WHERE id = 'crate-101'") == 42.5
    assert await scalar(db, "SELECT count(*) FROM assets WHERE id LIKE 'crate-10%'") == 2
    device = await scalar(db, "SELECT asset_id FROM asset_identifiers WHERE value = 'HT0000000001'")
    assert device == "ht-0001"


async def test_the_tag_and_the_barcode_of_one_crate_are_one_identifier(db: AsyncEngine) -> None:
    report, _ = await run_import(db, csv_bytes([crate(200)]))
    assert (report.assets_created, report.identifiers_created) == (1, 1)
    by_tag = canonical_tag(grai_96_hex("12345", 200), "epc")
    by_label = canonical_tag(grai_barcode("12345", 200), "barcode")
    assert by_tag == by_label == "urn:epc:id:grai:0614141.12345.200"
    owner = await scalar(db, "SELECT asset_id FROM asset_identifiers WHERE value = :v", v=by_tag)
    assert owner == "crate-200"


async def test_running_the_same_file_again_changes_nothing(db: AsyncEngine) -> None:
    data = csv_bytes([crate(n, owner="jumbo-veghel") for n in range(300, 340)])
    first, _ = await run_import(db, data)
    assert (first.assets_created, first.identifiers_created) == (40, 40)
    again, rejects = await run_import(db, data)
    assert (again.assets_created, again.assets_updated, again.identifiers_created) == (0, 0, 0)
    assert (again.assets_unchanged, again.identifiers_unchanged, rejects) == (40, 40, [])
    edited = csv_bytes([crate(n, owner="albert-dc-zaandam" if n == 310 else "jumbo-veghel")
                        for n in range(300, 340)])  # fmt: skip
    changed, _ = await run_import(db, edited)
    assert (changed.assets_updated, changed.assets_unchanged) == (1, 39)


async def test_an_unreadable_file_half_way_leaves_nothing(db: AsyncEngine) -> None:
    before = await scalar(db, "SELECT count(*) FROM assets")
    good = csv_bytes([crate(n) for n in range(400, 450)])
    broken = good + b"crate-450,crate-60x40,dc-rtm,\xff\xfe,,,,\n"
    with pytest.raises(RegistryFileError, match="line 52: not UTF-8"):
        # Small batches: the first 50 rows are already staged when the bad bytes come.
        await run_import(db, broken, batch_rows=10)
    assert await scalar(db, "SELECT count(*) FROM assets") == before


async def test_a_database_error_during_the_merge_leaves_nothing(db: AsyncEngine) -> None:
    async with db.begin() as conn:
        await conn.execute(
            text("""
            CREATE FUNCTION refuse_crate_599() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.asset_id = 'crate-599' THEN RAISE EXCEPTION 'disk full (simulated)'; END IF;
              RETURN NEW;
            END $$""")
        )
        await conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON asset_identifiers "
                                "FOR EACH ROW EXECUTE FUNCTION refuse_crate_599()"))  # fmt: skip
    try:
        before = await scalar(db, "SELECT count(*) FROM assets")
        data = csv_bytes([crate(n) for n in range(500, 600) if n != 500])
        for bulk_min_new_assets in (10**9, 1):  # row-by-row keys, then the bulk path
            with pytest.raises(Exception, match="disk full"):
                await run_import(db, data, bulk_min_new_assets=bulk_min_new_assets)
            # The assets were inserted before the identifiers failed: all rolled back.
            assert await scalar(db, "SELECT count(*) FROM assets") == before
        assert await foreign_keys(db) == EXPECTED_KEYS
    finally:
        async with db.begin() as conn:
            await conn.execute(text("DROP TRIGGER refuse ON asset_identifiers"))
            await conn.execute(text("DROP FUNCTION refuse_crate_599()"))


EXPECTED_KEYS = [
    ("asset_identifiers", "fk_asset_identifiers_asset_id_assets"),
    ("asset_state", "fk_asset_state_asset_id_assets"),
    ("asset_state", "fk_asset_state_custodian_id_custodians"),
    ("asset_state", "fk_asset_state_dispatch_id_dispatches"),
    ("asset_state", "fk_asset_state_site_id_sites"),
    ("asset_state", "fk_asset_state_zone_id_zones"),
    ("assets", "fk_assets_home_site_id_sites"),
    ("assets", "fk_assets_type_id_asset_types"),
]


async def foreign_keys(db: AsyncEngine) -> list[tuple[str, str]]:
    async with db.connect() as conn:
        rows = await conn.execute(text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid IN ('assets'::regclass, 'asset_identifiers'::regclass, "
            "'asset_state'::regclass) "
            "AND convalidated ORDER BY 1, 2"
        ))  # fmt: skip
        return [(str(table), str(name)) for table, name in rows]


async def test_the_bulk_path_loads_the_same_and_keeps_the_foreign_keys(db: AsyncEngine) -> None:
    rows = [crate(n) for n in range(700, 800)] + [crate(800, type="pallet-euro")]
    report, rejects = await run_import(db, csv_bytes(rows), bulk_min_new_assets=1)
    assert (report.assets_created, report.identifiers_created, report.rejected) == (100, 100, 1)
    assert [r["problem"] for r in rejects] == ["unknown_type"]
    assert await foreign_keys(db) == EXPECTED_KEYS
    # Registration gives each new asset its default state row, on the bulk path too.
    defaults = await scalar(
        db,
        "SELECT count(*) FROM assets a JOIN asset_state s ON s.asset_id = a.id "
        "WHERE a.id LIKE 'crate-7__' AND s.status = 'in_service' AND s.site_id = 'dc-rtm' "
        "AND s.custodian_id = 'site:dc-rtm' AND s.last_seen_at IS NULL",
    )
    assert defaults == 100


def test_the_cli_imports_and_writes_the_rejects_file(
    registry_db: str, base_settings: Settings, tmp_path: Path
) -> None:
    cli = typer.Typer()
    cli.command("import")(assets_import_command)

    @cli.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = base_settings.model_copy(update={"database_url": SecretStr(registry_db)})

    registry = tmp_path / "registry.csv"
    registry.write_bytes(csv_bytes([crate(900), crate(901, home_site="dc-nowhere")]))
    result = CliRunner().invoke(cli, ["import", str(registry)])
    assert result.exit_code == 0, result.output
    assert "1 rows rejected" in result.stdout
    rejects = list(csv.DictReader(io.StringIO((tmp_path / "registry.rejects.csv").read_text())))
    assert [(r["line"], r["problem"]) for r in rejects] == [("3", "unknown_site")]
    missing = CliRunner().invoke(cli, ["import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("asset_id,type,home_site,epc,colour\n")
    wrong = CliRunner().invoke(cli, ["import", str(bad_header)])
    assert wrong.exit_code == 2
    assert "unknown column(s) 'colour'" in wrong.stderr
    assert not (tmp_path / "bad.rejects.csv").exists()


PREFIXES = [
    ("0614141.12345", "grai"),
    ("061414112.345", "grai"),
    ("0614141.812345", "sgtin"),
    ("4001234.00012", "grai"),
]


def test_the_fast_paths_give_exactly_what_canonical_tag_gives() -> None:
    """The importer reuses a decoded prefix per (company prefix, type); the result must be
    what a reader's tag or a scanned label resolves to, for every partition and serial."""
    canonicaliser = IdentifierCanonicaliser()
    rnd = random.Random(7)
    for _ in range(600):
        prefix, kind = rnd.choice(PREFIXES)
        serial = rnd.choice([1, 7, 10**6, 2**38 - 1, rnd.randrange(2**38)])
        uri = f"urn:epc:id:{kind}:{prefix}.{serial}"
        if kind == "grai":
            tag = GRAI(uri).hex(binary_coding_scheme=GRAI.BinaryCodingScheme.GRAI_96,
                                filter_value=rnd.choice(list(GRAIFilterValue)))  # fmt: skip
        else:
            tag = SGTIN(uri).hex(binary_coding_scheme=SGTIN.BinaryCodingScheme.SGTIN_96,
                                 filter_value=rnd.choice(list(SGTINFilterValue)))  # fmt: skip
        tag = rnd.choice([tag.upper(), tag.lower()])
        assert canonicaliser.epc(tag) == (canonical_tag(tag, "epc"), "epc") == (uri, "epc")
        if kind == "grai":
            label = decode(uri).fields["gs1_element_string"]
            label_serial = rnd.choice([str(serial), f"00{serial}", f"A{serial}b"])
            label = label[: -len(str(serial))] + label_serial
            assert canonicaliser.barcode(label) == (canonical_tag(label, "barcode"), "epc")


def test_bad_identifiers_are_refused_with_the_decoders_reason() -> None:
    canonicaliser = IdentifierCanonicaliser()
    good = grai_barcode("12345", 9)
    canonicaliser.barcode(good)  # the prefix is cached now; a typo must still be caught
    typo = good[:-2] + str((int(good[-2]) + 1) % 10) + good[-1]
    with pytest.raises(IdentifierError, match="wrong check digit"):
        canonicaliser.barcode(typo)
    with pytest.raises(IdentifierError, match="not an EPC or GS1 identifier"):
        canonicaliser.barcode("crate 9")
    # Hex that is no GS1 encoding is how a reader reports such a tag: kept as hex.
    assert canonicaliser.epc("E2801160600002084E2C1234") == ("E2801160600002084E2C1234", "epc_hex")
