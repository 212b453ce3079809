"""Workbench: a local-first qualitative coding workbench."""

__version__ = "0.1.0"
