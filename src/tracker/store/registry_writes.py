"""Registering and editing single assets from the API (the bulk import lives elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.registry_import.identifiers import IdentifierCanonicaliser

# What a caller may name a scheme, and how its value is brought to the stored form. A GRAI
# barcode and an EPC are the same crate, so both end up as the EPC URI (scheme `epc`).
_CANONICALISERS = {
    "epc": IdentifierCanonicaliser.epc,
    "epc_hex": IdentifierCanonicaliser.epc,
    "gs1": IdentifierCanonicaliser.barcode,
    "serial": IdentifierCanonicaliser.serial,
}
IDENTIFIER_SCHEMES = tuple(_CANONICALISERS)


def canonical_identifier(scheme: str, value: str) -> tuple[str, str]:
    """(stored value, stored scheme); IdentifierError when the value is no such identifier."""
    return _CANONICALISERS[scheme](IdentifierCanonicaliser(), value)


def scheme_of_canonical(tag: str, tag_kind: str) -> str:
    """The scheme of a tag already in canonical form (as `unknown_tags` holds it)."""
    if tag.startswith("urn:epc:"):
        return "epc"
    if tag_kind == "epc":
        return "epc_hex"
    return "gs1" if tag.startswith("(") else "serial"


class DuplicateIdentifier(Exception):
    def __init__(self, value: str, holder: str) -> None:
        self.value, self.holder = value, holder
        super().__init__(f"identifier {value!r} already belongs to asset {holder!r}")


class AssetExists(Exception):
    pass


class UnknownReference(Exception):
    """A type or site named in the request does not exist: `field` says which."""

    def __init__(self, field_name: str, value: str) -> None:
        self.field_name, self.value = field_name, value
        super().__init__(f"{field_name}: no such {field_name.removesuffix('_id')} {value!r}")


@dataclass(frozen=True, slots=True)
class NewAsset:
    id: str
    type_id: str
    home_site_id: str
    owner: str | None = None
    value: Decimal | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    identifiers: Sequence[tuple[str, str]] = ()  # (canonical value, scheme)


async def check_references(conn: AsyncConnection, references: dict[str, str | None]) -> None:
    """`type_id` and `home_site_id` (when given) must name rows that exist."""
    tables = {"type_id": "asset_types", "home_site_id": "sites"}
    for name, value in references.items():
        if value is None:
            continue
        found = await conn.scalar(
            text(f"SELECT 1 FROM {tables[name]} WHERE id = :id"), {"id": value}
        )
        if found is None:
            raise UnknownReference(name, value)


_INSERT_ASSET = text("""
INSERT INTO assets (id, type_id, home_site_id, owner, value, attributes)
VALUES (:id, :type_id, :home_site_id, :owner, :value, CAST(:attributes AS jsonb))
ON CONFLICT (id) DO NOTHING RETURNING id
""")
_INSERT_IDENTIFIERS = text("""
INSERT INTO asset_identifiers (value, scheme, asset_id)
SELECT v, s, :asset FROM unnest(CAST(:values AS text[]), CAST(:schemes AS text[])) AS x(v, s)
ON CONFLICT (value) DO NOTHING RETURNING value
""")


async def create_asset(conn: AsyncConnection, asset: NewAsset) -> None:
    """Raises AssetExists, UnknownReference or DuplicateIdentifier; the caller's transaction
    then rolls back, so nothing is half-registered."""
    await check_references(conn, {"type_id": asset.type_id, "home_site_id": asset.home_site_id})
    created = await conn.scalar(
        _INSERT_ASSET,
        {
            "id": asset.id,
            "type_id": asset.type_id,
            "home_site_id": asset.home_site_id,
            "owner": asset.owner,
            "value": asset.value,
            "attributes": orjson.dumps(asset.attributes).decode(),
        },
    )
    if created is None:
        raise AssetExists(f"asset {asset.id!r} already exists")
    await add_identifiers(conn, asset.id, asset.identifiers)


async def add_identifiers(
    conn: AsyncConnection, asset_id: str, identifiers: Sequence[tuple[str, str]]
) -> None:
    if not identifiers:
        return
    values = [value for value, _ in identifiers]
    # ON CONFLICT rather than a look-up first: two requests racing for one tag cannot both win.
    inserted = set(
        (
            await conn.execute(
                _INSERT_IDENTIFIERS,
                {"asset": asset_id, "values": values, "schemes": [s for _, s in identifiers]},
            )
        ).scalars()
    )
    taken = [value for value in values if value not in inserted]
    if taken:
        holder = await conn.scalar(
            text("SELECT asset_id FROM asset_identifiers WHERE value = :v"), {"v": taken[0]}
        )
        raise DuplicateIdentifier(taken[0], str(holder))


_EDITABLE = ("owner", "value", "attributes", "home_site_id", "type_id")


async def update_asset(conn: AsyncConnection, asset_id: str, changes: dict[str, Any]) -> bool:
    """Only the columns in `changes` (a subset of the editable ones); False: no such asset."""
    await check_references(
        conn, {name: changes[name] for name in ("type_id", "home_site_id") if name in changes}
    )
    params = {name: changes[name] for name in _EDITABLE if name in changes}
    if "attributes" in params:
        params["attributes"] = orjson.dumps(params["attributes"]).decode()
    assignments = [
        f"{name} = CAST(:{name} AS jsonb)" if name == "attributes" else f"{name} = :{name}"
        for name in params
    ]
    updated = await conn.scalar(
        text(
            f"UPDATE assets SET {', '.join([*assignments, 'updated_at = now()'])} "
            "WHERE id = :asset_id RETURNING id"
        ),
        {**params, "asset_id": asset_id},
    )
    return updated is not None


_ANNOTATE = text("""
WITH annotated AS (
    UPDATE asset_events SET payload = payload || CAST(:extra AS jsonb)
    WHERE asset_id = :asset AND observation_id = :observation RETURNING id
)
UPDATE outbox SET payload = jsonb_set(payload, '{payload}',
    (payload -> 'payload') || CAST(:extra AS jsonb))
WHERE asset_event_id IN (SELECT id FROM annotated)
""")


async def annotate_events(
    conn: AsyncConnection, asset_id: str, observation_id: str, extra: dict[str, str | None]
) -> None:
    """Add who and why to the events one operator action produced (the domain's events do
    not carry them). Same transaction as their insert, so nobody sees them without."""
    await conn.execute(
        _ANNOTATE,
        {
            "extra": orjson.dumps(extra).decode(),
            "asset": asset_id,
            "observation": observation_id,
        },
    )


async def mark_unknown_tag_enrolled(conn: AsyncConnection, tag: str, asset_id: str) -> None:
    await conn.execute(
        text("UPDATE unknown_tags SET enrolled_asset_id = :asset WHERE tag = :tag"),
        {"asset": asset_id, "tag": tag},
    )
