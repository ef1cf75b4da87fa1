"""A simulated LLRP 1.0.1 fixed reader, written from the specification (no vendor code).

    async with ReaderSimulator(port=0, reader_id="dock-03", antennas=(1, 2)) as reader:
        # point an LLRP client (sllurp, the tagtrail adapter) at 127.0.0.1:reader.port
        await reader.wait_for_inventory()
        reader.see("3034257bf7194e4000001a85", antenna=1, rssi_dbm=-52, count=3)
        reader.drop_connections()  # or freeze_connections(), or stop()

Tag reports carry only the fields the client's TagReportContentSelector enables (the
reader default, when the ROSpec has none, is AntennaID, PeakRSSI, FirstSeenTimestampUTC
and TagSeenCount). sllurp's own default selector leaves FirstSeenTimestamp off: pass
`tag_content_selector={"EnableFirstSeenTimestamp": True, ...}` to get it.

`protocol` holds the binary encoder/decoder, `server` the TCP reader and its delivery
rules, `cli` the standalone `tagtrail simulate llrp-reader` command.
"""

from simulators.llrp.protocol import decode_message, encode_message
from simulators.llrp.server import ReaderSimulator
from simulators.llrp.sightings import TagSighting, make_sighting, random_grai96
from simulators.llrp.wire import LLRPDecodeError

__all__ = [
    "LLRPDecodeError",
    "ReaderSimulator",
    "TagSighting",
    "decode_message",
    "encode_message",
    "make_sighting",
    "random_grai96",
]
