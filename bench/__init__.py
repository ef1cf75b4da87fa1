"""Benchmarks that print a ratio against a raw baseline measured in the same run."""
