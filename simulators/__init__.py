"""Simulated dock doors, LLRP readers and handheld scanners for demos, tests and benchmarks."""
