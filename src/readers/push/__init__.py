"""Vendor JSON that readers push over HTTP, mapped to TagRead v1."""

from readers.push.formats import PushFormatError, parse_json_lines, read_id_for
from readers.push.impinj import impinj_reads
from readers.push.zebra import zebra_reads

__all__ = ["PushFormatError", "impinj_reads", "parse_json_lines", "read_id_for", "zebra_reads"]
