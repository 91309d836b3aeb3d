"""Chooses the storage backend the configuration names and opens it."""

from __future__ import annotations

from alumni.config import Config
from alumni.store.base import Store


def open_store(config: Config) -> Store:
    """The configured sheet: the local workbook, or the Google Sheet."""
    if config.backend == "google":
        from alumni.store.google import GoogleStore

        return GoogleStore.from_config(config)
    from alumni.store.xlsx import XlsxStore

    return XlsxStore(config.local.workbook)
