"""GS1 EPCIS 2.0 / CBV 2.0: every asset event as a standard event (docs/epcis.md).

The interface, for the export, the query API and capture:

- `to_epcis(row, directory) -> dict`: one `EventRow` (an `asset_events` row, or a
  registration synthesised from `assets`) → one EPCIS event (JSON-LD object) whose `eventID`
  is its CBV 2.0 hash. Pure; the table it follows is `rules.RULES` (`standard_for`).
- `event_hash(event, namespaces) -> str`: the CBV 2.0 event hash of any EPCIS event dict
  (`ni:///sha-256;…?ver=CBV2.0`), e.g. for a captured event that brings no eventID.
- `load_directory`, `count_rows`, `stream_records(conn, ExportFilter)`: what the mapping needs,
  from PostgreSQL, in event-time order through a server-side cursor.
- `stream_records` + `EventEncoder`: the export's hot path, the same bytes as `to_epcis` on
  each row serialised by orjson, from per-shape templates (`tracker.epcis.export`).
- `DocumentWriter` / `epcis_document`: an EPCISDocument written incrementally or at once.
- `vocabulary`: the CBV words used, tagtrail's namespace and @context; `identifiers`: the
  URIs of assets, places, parties and transactions; `digital_link`: EPC URI → Digital Link.
"""

from tracker.epcis.document import DocumentWriter, epcis_document, header
from tracker.epcis.export import EventEncoder
from tracker.epcis.hashing import UnsupportedEventField, event_hash, pre_hash
from tracker.epcis.mapping import Custodian, Directory, EventRow, Site, Zone, to_epcis
from tracker.epcis.rules import REGISTERED, RULES, Standard, standard_for
from tracker.epcis.store import (
    ExportFilter,
    count_rows,
    load_directory,
    stream_records,
)
from tracker.epcis.vocabulary import document_context, namespaces

__all__ = [
    "REGISTERED",
    "RULES",
    "Custodian",
    "Directory",
    "DocumentWriter",
    "EventEncoder",
    "EventRow",
    "ExportFilter",
    "Site",
    "Standard",
    "UnsupportedEventField",
    "Zone",
    "count_rows",
    "document_context",
    "epcis_document",
    "event_hash",
    "header",
    "load_directory",
    "namespaces",
    "pre_hash",
    "standard_for",
    "stream_records",
    "to_epcis",
]
