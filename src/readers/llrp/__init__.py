"""The LLRP adapter: fixed RFID readers → TagRead v1 → Kafka, through sllurp (GPL-3.0).

sllurp is the optional extra `llrp`; nothing here imports it until a reader connects, so
the rest of tagtrail, and this package's mapping, work without it.
"""

from readers.llrp.adapter import LinkEnd, LlrpAdapter
from readers.llrp.backoff import Backoff
from readers.llrp.fleet import ReaderFleet
from readers.llrp.forwarding import ForwardingLimits, ReadForwarder, ReadSink
from readers.llrp.health import HealthReporter, ReaderHealth
from readers.llrp.mapping import UnmappableReport, read_id_for, tag_read_from_report
from readers.llrp.target import ReadersFileError, ReaderTarget, load_readers_file

__all__ = [
    "Backoff",
    "ForwardingLimits",
    "HealthReporter",
    "LinkEnd",
    "LlrpAdapter",
    "ReadForwarder",
    "ReadSink",
    "ReaderFleet",
    "ReaderHealth",
    "ReaderTarget",
    "ReadersFileError",
    "UnmappableReport",
    "load_readers_file",
    "read_id_for",
    "tag_read_from_report",
]
