"""Chooses the storage backend the configuration names and opens it."""

from __future__ import annotations

from alumni.config import Config
from alumni.sheet.store import Store


def open_store(config: Config) -> Store:
    """The configured sheet: the local workbook, or the Google Sheet."""
    if config.backend == "google":
        from alumni.sheet.google import GoogleStore

        return GoogleStore.from_config(config)
    from alumni.sheet.xlsx import XlsxStore

    return XlsxStore(config.local.workbook)
