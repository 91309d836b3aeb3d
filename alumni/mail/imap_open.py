"""Turns [imap] and the environment into the settings that reading the mailbox takes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, cast

from alumni.config import Config
from alumni.errors import ConfigError
from alumni.mail.imap import ImapSettings

_SECURITIES = ("ssl", "starttls", "plain")


def open_imap_settings(config: Config, environ: Mapping[str, str] = os.environ) -> ImapSettings:
    """The settings for reading the committee's mailbox, the password taken from the
    environment variable [imap] password_env. Nothing connects here.

    ConfigError when the mailbox is not to be read ([imap] host empty), or when the login or
    the password is missing; the message names the setting or the variable, never a password.
    """
    imap = config.imap
    if not imap.enabled:
        raise ConfigError(
            "[imap] host is empty, so the committee's mailbox is not read — set [imap] host "
            '(for Gmail "imap.gmail.com"), username and folders in the config.'
        )
    if imap.security not in _SECURITIES:  # load_config refuses it; a hand-built Config may not
        raise ConfigError(
            f"[imap] security is {imap.security!r} — use one of "
            + ", ".join(f'"{s}"' for s in _SECURITIES)
            + "."
        )
    if not imap.username:
        raise ConfigError(
            f"[imap] host is {imap.host!r} but [imap] username is empty — set it to the "
            "mailbox's login name (for Gmail the account's address)."
        )
    if not imap.password_env:
        raise ConfigError(
            "[imap] password_env is empty — write the NAME of the environment variable that "
            'holds the mailbox\'s password, e.g. "ALUMNI_IMAP_PASSWORD".'
        )
    password = environ.get(imap.password_env, "")
    if not password:
        raise ConfigError(
            f"[imap] username is set but ${imap.password_env} is empty or not set — set"
            f" {imap.password_env} to the mailbox's password (for Gmail an app "
            "password) in the environment that runs the tool."
        )
    return ImapSettings(
        host=imap.host.strip(),
        port=imap.port,
        user=imap.username,
        password=password,
        security=cast(Literal["ssl", "starttls", "plain"], imap.security),
        folders=imap.folders,
        first_days=imap.first_days,
        timeout=imap.timeout_seconds,
        ca_file=imap.ca_file,
    )
