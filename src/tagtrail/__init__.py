"""Composition root: settings, bootstrap, CLI, the local stack."""

__version__ = "0.1.0"
