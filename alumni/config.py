"""TOML in, frozen dataclasses out: the tool's configuration and where it was found."""

from __future__ import annotations

import dataclasses
import datetime
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alumni.addresses import check_address
from alumni.errors import ConfigError

ENV_VAR = "ALUMNI_CONFIG"


@dataclass(frozen=True)
class LocalConfig:
    workbook: Path = Path("alumni.xlsx")


@dataclass(frozen=True)
class GoogleConfig:
    spreadsheet: str = ""
    credentials: Path | None = None
    timeout_seconds: float = 30.0
    retries: int = 5
    backoff_seconds: float = 1.0


DEFAULT_SIGNATURE = "Alumniutskottet\nI-sektionen, Industriell ekonomi\nLuleå tekniska universitet"


@dataclass(frozen=True)
class MailConfig:
    backend: str = "outbox"
    outbox: Path = Path("outbox")
    from_name: str = "Alumniutskottet, I-sektionen"
    from_address: str = "alumni@example.org"
    signature: str = DEFAULT_SIGNATURE
    templates: Path = Path("templates")
    journal: Path = Path("sent-journal.jsonl")
    rate_per_minute: int = 20
    daily_cap: int = 450
    committee_address: str = ""

    def committee(self) -> str:
        """The committee's shared mailbox, which replies must reach: `committee_address`, or
        `from_address` when that is empty."""
        return self.committee_address or self.from_address


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "smtp.gmail.com"
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password_env: str = "ALUMNI_SMTP_PASSWORD"
    ca_file: Path | None = None
    timeout_seconds: float = 30.0
    retries: int = 3
    backoff_seconds: float = 2.0


@dataclass(frozen=True)
class ImapConfig:
    """The committee's mailbox, read over IMAP (read-only, headers only) to log reply times."""

    host: str = ""
    port: int = 993
    security: str = "ssl"
    username: str = ""
    password_env: str = "ALUMNI_IMAP_PASSWORD"
    folders: tuple[str, ...] = ("INBOX", "Sent")
    first_days: int = 60
    ca_file: Path | None = None
    timeout_seconds: float = 30.0
    state: Path = Path("mailbox-state.json")

    @property
    def enabled(self) -> bool:
        """Whether the mailbox is read at all: only when `host` is set."""
        return bool(self.host.strip())


@dataclass(frozen=True)
class DeadlineConfig:
    reply_hours: float = 24.0
    warn_hours: float = 6.0
    unexplained_days: int = 7
    stale_hours: float = 26.0
    naringslivsansvarig: str = ""


@dataclass(frozen=True)
class ScheduleConfig:
    daily_at: str = "07:00"
    overdue_every_minutes: int = 60
    lock: Path = Path("alumni.lock")


@dataclass(frozen=True)
class ApplicantsConfig:
    programme_aliases: tuple[str, ...] = ()
    university_aliases: tuple[str, ...] = ()
    name_threshold: float = 90.0
    approve_within_days: int = 7


@dataclass(frozen=True)
class PolicyConfig:
    last_revised: str = "2020-09-19"
    invite_by: str = "05-01"


@dataclass(frozen=True)
class PurgeConfig:
    rejected_after_months: int = 12


@dataclass(frozen=True)
class VotesConfig:
    majority: float = 0.5


@dataclass(frozen=True)
class InviteConfig:
    signup_link: str = "https://www.linkedin.com/groups/0000000/"
    form_link: str = ""


@dataclass(frozen=True)
class Config:
    backend: str = "local"
    timezone: str = "Europe/Stockholm"
    mandate_start: str = "09-01"
    local: LocalConfig = field(default_factory=LocalConfig)
    google: GoogleConfig = field(default_factory=GoogleConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    imap: ImapConfig = field(default_factory=ImapConfig)
    invite: InviteConfig = field(default_factory=InviteConfig)
    deadlines: DeadlineConfig = field(default_factory=DeadlineConfig)
    applicants: ApplicantsConfig = field(default_factory=ApplicantsConfig)
    votes: VotesConfig = field(default_factory=VotesConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    purge: PurgeConfig = field(default_factory=PurgeConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    # Where the values came from: the file, or None for the built-in defaults.
    source: Path | None = field(default=None, compare=False)


_CHOICES = {
    "backend": ("local", "google"),
    "mail.backend": ("outbox", "smtp"),
    "smtp.security": ("starttls", "ssl", "none"),
    "imap.security": ("ssl", "starttls", "plain"),
}


def find_config_file(explicit: str | None, cwd: Path | None = None) -> Path | None:
    """The file to read: --config, then $ALUMNI_CONFIG, then ./config.toml, else none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config {explicit}: no such file — check the path.")
        return path
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(
                f"${ENV_VAR} points at {env}, which is not a file — fix or unset the variable."
            )
        return path
    local = (cwd or Path.cwd()) / "config.toml"
    return local if local.is_file() else None


def load_config(explicit: str | None = None, cwd: Path | None = None) -> Config:
    """Read the configuration by the lookup order; built-in defaults when there is no file."""
    path = find_config_file(explicit, cwd)
    if path is None:
        return _resolve_paths(Config(), cwd or Path.cwd())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}) — fix the file.") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from exc
    config = _build(Config, data, prefix="", path=path)
    config = dataclasses.replace(config, source=path)
    _validate(config, path)
    return _resolve_paths(config, path.parent.resolve())


def _build(cls: type, data: dict[str, Any], prefix: str, path: Path) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(
                f"{path}: unknown key '{name}' — remove it or check its spelling "
                "against config.example.toml."
            )
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: '{name}' must be a table ([{name}]).")
            values[key] = _build(hint, value, f"{name}.", path)  # type: ignore[arg-type]
        else:
            values[key] = _coerce(name, value, hint, path)
    return cls(**values)


def _coerce(name: str, value: Any, hint: Any, path: Path) -> Any:
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    base = next(a for a in typing.get_args(hint) if a is not type(None)) if optional else hint
    if base is Path:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: '{name}' must be a path in quotes, not {value!r}.")
        return Path(value) if value or not optional else None
    if typing.get_origin(base) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: '{name}' must be a list of texts, e.g. [\"LTU\"].")
        return tuple(value)
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base is int and isinstance(value, bool):
        raise ConfigError(f"{path}: '{name}' must be a whole number, not {value!r}.")
    if not isinstance(value, base):
        kind = {str: "text in quotes", int: "a whole number", float: "a number"}.get(base, base)
        raise ConfigError(f"{path}: '{name}' must be {kind}, not {value!r}.")
    return value


def _validate(config: Config, path: Path) -> None:
    for name, allowed in _CHOICES.items():
        value: Any = config
        for part in name.split("."):
            value = getattr(value, part)
        if value not in allowed:
            choices = ", ".join(f'"{a}"' for a in allowed)
            raise ConfigError(f"{path}: '{name}' is {value!r} — use one of {choices}.")
    _check_addresses(config, path)
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{path}: 'timezone' {config.timezone!r} is not a known time zone — "
            'use an IANA name such as "Europe/Stockholm".'
        ) from exc
    hour_minute = config.schedule.daily_at.split(":")
    if not (
        len(hour_minute) == 2
        and all(p.isdigit() and len(p) == 2 for p in hour_minute)
        and int(hour_minute[0]) < 24
        and int(hour_minute[1]) < 60
    ):
        raise ConfigError(
            f"{path}: 'schedule.daily_at' {config.schedule.daily_at!r} must be \"HH:MM\", "
            'for example "07:00".'
        )
    try:
        datetime.date.fromisoformat(config.policy.last_revised)
    except ValueError as exc:
        raise ConfigError(
            f"{path}: 'policy.last_revised' {config.policy.last_revised!r} must be a date "
            '"YYYY-MM-DD", for example "2026-09-15".'
        ) from exc
    month_day = config.mandate_start.split("-")
    if not (
        len(month_day) == 2
        and all(p.isdigit() for p in month_day)
        and 1 <= int(month_day[0]) <= 12
        and 1 <= int(month_day[1]) <= 28
    ):
        raise ConfigError(
            f"{path}: 'mandate_start' {config.mandate_start!r} must be \"MM-DD\" "
            '(day 1–28), for example "09-01".'
        )
    numbers = {
        "google": ("retries", "timeout_seconds", "backoff_seconds"),
        "smtp": ("retries", "timeout_seconds", "backoff_seconds", "port"),
        "imap": ("port", "first_days", "timeout_seconds"),
        "mail": ("rate_per_minute", "daily_cap"),
        "deadlines": ("reply_hours", "warn_hours", "unexplained_days", "stale_hours"),
        "schedule": ("overdue_every_minutes",),
        "applicants": ("name_threshold", "approve_within_days"),
        "votes": ("majority",),
        "purge": ("rejected_after_months",),
    }
    for section, keys in numbers.items():
        for key in keys:
            if getattr(getattr(config, section), key) < 0:
                raise ConfigError(f"{path}: '{section}.{key}' must not be negative.")
    _check_imap(config.imap, path)


def _check_imap(imap: ImapConfig, path: Path) -> None:
    if not 1 <= imap.port <= 65535:
        raise ConfigError(
            f"{path}: 'imap.port' is {imap.port} — use a port from 1 to 65535: 993 for ssl, "
            "143 for starttls or plain."
        )
    if imap.timeout_seconds == 0:
        raise ConfigError(f"{path}: 'imap.timeout_seconds' must be more than 0.")
    if any(not folder.strip() for folder in imap.folders):
        raise ConfigError(f"{path}: 'imap.folders' holds an empty folder name — remove it.")
    if imap.enabled and not imap.folders:
        raise ConfigError(
            f"{path}: 'imap.folders' is empty, so nothing would be read — name the inbox and "
            'the folder of sent mail, e.g. ["INBOX", "[Gmail]/Skickat"].'
        )


def _check_addresses(config: Config, path: Path) -> None:
    # An address the mail layer would refuse at the first message is refused here, before a
    # run reads the sheet; whether it is still the example is asked only by --send.
    settings = {"mail.from_address": config.mail.from_address}
    if config.mail.committee_address:
        settings["mail.committee_address"] = config.mail.committee_address
    if config.deadlines.naringslivsansvarig:
        settings["deadlines.naringslivsansvarig"] = config.deadlines.naringslivsansvarig
    for name, value in settings.items():
        try:
            check_address(value)
        except ValueError as exc:
            raise ConfigError(
                f"{path}: '{name}': {exc} — write one address in quotes, "
                'such as "alumni@sektionen.se".'
            ) from exc


def _resolve_paths(config: Config, base: Path) -> Config:
    def under(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    def maybe(p: Path | None) -> Path | None:
        return None if p is None else under(p)

    mail = config.mail
    return dataclasses.replace(
        config,
        local=dataclasses.replace(config.local, workbook=under(config.local.workbook)),
        google=dataclasses.replace(config.google, credentials=maybe(config.google.credentials)),
        mail=dataclasses.replace(
            mail,
            outbox=under(mail.outbox),
            templates=_templates(
                under(mail.templates), explicit=mail.templates != Path("templates")
            ),
            journal=under(mail.journal),
        ),
        smtp=dataclasses.replace(config.smtp, ca_file=maybe(config.smtp.ca_file)),
        imap=dataclasses.replace(
            config.imap, ca_file=maybe(config.imap.ca_file), state=under(config.imap.state)
        ),
        schedule=dataclasses.replace(config.schedule, lock=under(config.schedule.lock)),
    )


BUNDLED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _templates(path: Path, explicit: bool) -> Path:
    # Without a templates folder of its own, a committee uses the ones shipped with the tool.
    if explicit or path.is_dir():
        return path
    return BUNDLED_TEMPLATES
