"""Adapters that turn reader output (LLRP, vendor JSON push, handheld scans) into TagRead."""
