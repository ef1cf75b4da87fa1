"""Reading a registry CSV in batches: each row checked on its own (identifiers decoded,
value parsed), ready to be copied into the staging tables."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from tracker.registry_import.identifiers import IdentifierCanonicaliser, IdentifierError

COLUMNS = ("asset_id", "type", "home_site", "epc", "barcode", "serial", "owner", "value")
REQUIRED_COLUMNS = ("asset_id", "type", "home_site")
MAX_ID_LENGTH = 128
# assets.value is NUMERIC(12, 2).
MAX_VALUE = Decimal("9999999999.99")

# (line, asset_id, type, home_site, epc, barcode, serial, owner, value, amount, problem, reason)
StagedRow = tuple[
    int, str, str, str, str, str, str, str | None, str, Decimal | None, str | None, str | None
]
# (line, canonical value, scheme, asset_id)
StagedIdentifier = tuple[int, str, str, str]


class RegistryFileError(Exception):
    """The file as a whole cannot be imported (unreadable, not CSV, wrong header)."""


@dataclass
class Batch:
    rows: list[StagedRow] = field(default_factory=list)
    identifiers: list[StagedIdentifier] = field(default_factory=list)
    bytes_read: int = 0


def read_batches(source: BinaryIO, batch_rows: int) -> Iterator[Batch]:
    """Batches of staged rows; `bytes_read` is how far into the file they reach."""
    reader = csv.reader(_decoded_lines(source), strict=True)
    positions = _header(reader)
    canonicaliser = IdentifierCanonicaliser()
    batch = Batch()
    line = reader.line_num + 1
    try:
        for record in reader:
            if record:  # a blank line is no row
                _stage(batch, line, record, positions, canonicaliser)
            line = reader.line_num + 1
            if len(batch.rows) >= batch_rows:
                batch.bytes_read = source.tell()
                yield batch
                batch = Batch()
    except csv.Error as exc:
        raise RegistryFileError(f"line {line}: not valid CSV ({exc})") from None
    batch.bytes_read = source.tell()
    yield batch


def _decoded_lines(source: BinaryIO) -> Iterator[str]:
    # Line by line rather than through a TextIOWrapper: that one decodes 8 kB at a time, and
    # a bad byte could not be traced to its line.
    for number, raw in enumerate(source, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise RegistryFileError(
                f"line {number}: not UTF-8 text ({exc.reason} at byte {exc.start + 1})"
            ) from None


def _header(reader: Iterator[list[str]]) -> list[int | None]:
    """Where each of COLUMNS sits in a row (None: the file has no such column)."""
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise RegistryFileError("the file is empty: expected a header line") from None
    except csv.Error as exc:
        raise RegistryFileError(f"line 1: unreadable header ({exc})") from None
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise RegistryFileError(
            f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"expected {','.join(COLUMNS)}"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if duplicated or missing:
        raise RegistryFileError(
            f"line 1: {'missing' if missing else 'repeated'} column(s) "
            f"{', '.join(missing or duplicated)}"
        )
    return [header.index(name) if name in header else None for name in COLUMNS]


def _stage(
    batch: Batch,
    line: int,
    record: list[str],
    positions: list[int | None],
    canonicaliser: IdentifierCanonicaliser,
) -> None:
    fields = [record[p].strip() if p is not None and p < len(record) else "" for p in positions]
    asset_id, type_id, site, epc, barcode, serial, owner, value = fields
    problem, reason, amount = None, None, None
    identifiers: dict[str, str] = {}
    try:
        expected = sum(p is not None for p in positions)
        if len(record) != expected:
            raise _RowProblem("bad_row", f"{len(record)} fields, the header has {expected}")
        _require(asset_id=asset_id, type=type_id, home_site=site)
        amount = _amount(value)
        identifiers = _identifiers(canonicaliser, epc, barcode, serial)
    except _RowProblem as exc:
        problem, reason = exc.problem, exc.reason
    batch.rows.append(
        (line, asset_id, type_id, site, epc, barcode, serial, owner or None, value, amount,
         problem, reason)
    )  # fmt: skip
    if problem is None:
        batch.identifiers += [(line, value, s, asset_id) for value, s in identifiers.items()]


class _RowProblem(Exception):
    def __init__(self, problem: str, reason: str) -> None:
        super().__init__(reason)
        self.problem, self.reason = problem, reason


def _require(**values: str) -> None:
    for name, value in values.items():
        if not value:
            raise _RowProblem(f"missing_{name}", f"missing {name}")
        if len(value) > MAX_ID_LENGTH:
            raise _RowProblem(f"bad_{name}", f"{name} longer than {MAX_ID_LENGTH} characters")


def _amount(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _RowProblem("bad_value", f"value {value!r} is not a number") from None
    if not (amount.is_finite() and 0 <= amount <= MAX_VALUE):
        raise _RowProblem("bad_value", f"value {value!r} is not between 0 and {MAX_VALUE}")
    return amount


def _identifiers(
    canonicaliser: IdentifierCanonicaliser, epc: str, barcode: str, serial: str
) -> dict[str, str]:
    """canonical value → scheme; a crate's EPC and its GRAI barcode give one value."""
    found: dict[str, str] = {}
    for column, value, canonical in (
        ("epc", epc, canonicaliser.epc),
        ("barcode", barcode, canonicaliser.barcode),
        ("serial", serial, canonicaliser.serial),
    ):
        if not value:
            continue
        try:
            identifier, scheme = canonical(value)
        except IdentifierError as exc:
            raise _RowProblem(f"bad_{column}", f"bad {column} {value!r}: {exc}") from None
        found.setdefault(identifier, scheme)
    if not found:
        raise _RowProblem("no_identifier", "no identifier: give an epc, a barcode or a serial")
    return found
