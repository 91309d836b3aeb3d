"""The `uncertain` job: every message that may or may not have gone out, and the chair's word on it.

A message is uncertain when a run stopped (killed, a lost connection) after handing it to the
mail server and before the server's answer was recorded, or when a torn journal line names it.
The tool never sends such a message again on a guess: the chair asks the person, then either
confirms it arrived (`--arrived REF`, recorded in the journal as sent) or lets the command that
made it send it again with `--resend-uncertain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from alumni.config import Config
from alumni.contract import CONTACT_LOG, GRADUATES, fold
from alumni.errors import ConfigError
from alumni.mail.journal import SENT, Entry, Journal
from alumni.sheet.cells import canonical_id
from alumni.sheet.store import Store
from alumni.sheet.workbook import Workbook, load_workbook

ARRIVED = "the chair confirmed it arrived"


@dataclass(frozen=True)
class Kind:
    """One kind of message as the journal keys it: what to call it, whose row names it, and
    what sends it again."""

    noun: str
    tab: str | None
    name_column: str
    resend: str


KINDS = {
    "invite": Kind("invitation", GRADUATES.name, "Namn", "alumni invite --send --resend-uncertain"),
    "contact": Kind(
        "first contact", CONTACT_LOG.name, "Alumn", "alumni contact --send --resend-uncertain"
    ),
    "remind": Kind(
        "reminder", CONTACT_LOG.name, "Kontaktperson", "alumni overdue --send --resend-uncertain"
    ),
    "breach": Kind(
        "breach notice",
        CONTACT_LOG.name,
        "Kontaktperson",
        "alumni overdue --send --resend-uncertain",
    ),
    "report": Kind(
        "breach report to Näringslivsansvarig",
        None,
        "",
        "alumni overdue --send --resend-uncertain",
    ),
    "summary": Kind("daily summary", None, "", "nothing: the next daily summary is sent as usual"),
}
UNKNOWN_KIND = Kind("message", None, "", "the command that sent it, with --resend-uncertain")


@dataclass(frozen=True)
class Unsure:
    """One message of unknown fate: its journal key, the short reference a person types, what
    it was, to whom (a name from the sheet, never an address), when it was tried and why
    its fate is unknown."""

    key: str
    ref: str
    kind: Kind
    who: str
    at: datetime
    reason: str


@dataclass
class UncertainResult:
    """The messages still uncertain, those the chair just confirmed, and what the journal's
    reading found torn."""

    unsure: list[Unsure] = field(default_factory=list)
    confirmed: list[Unsure] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    tz: str = "Europe/Stockholm"

    @property
    def found_problems(self) -> bool:
        """Messages of unknown fate wait for the chair."""
        return bool(self.unsure)


def reference(key: str) -> str:
    """What a person types for a key: the key without the address tag (`invite:AK-0007`)."""
    parts = key.split(":")
    return ":".join(parts[:2]) if parts[0] in ("invite", "contact") else key


def run(
    config: Config, store: Store, now: pd.Timestamp, *, arrived: list[str] | None = None
) -> UncertainResult:
    """List every message of unknown fate; with `arrived`, record those as sent first.

    A reference that names no uncertain message, or several, is refused before anything is
    recorded (ConfigError): a confirmation must say exactly which message it is about.
    """
    wb = load_workbook(store.read(), config.timezone, now)
    journal = Journal(config.mail.journal)
    result = UncertainResult(tz=config.timezone)
    if not arrived:
        result.unsure = _unsure(journal.entries(), wb)
        result.damaged = journal.damaged
        return result
    with journal:  # held: no run sends while the chair's word is recorded
        unsure = _unsure(journal.entries(), wb)
        result.confirmed = list(dict.fromkeys(_one(ref, unsure) for ref in arrived))
        for item in result.confirmed:
            for key in (item.key, *_covered(item.key)):
                journal.mark(key, SENT, now.to_pydatetime(), ARRIVED)
        result.unsure = [item for item in unsure if item not in result.confirmed]
        result.damaged = journal.damaged
    return result


def _covered(key: str) -> list[str]:
    """The keys a message answers for besides its own: a report names each breach it covers."""
    kind, _, rest = key.partition(":")
    if kind != "report" or "," not in rest:
        return []
    return [f"report:{contact_id}" for contact_id in rest.split(",")]


def _unsure(entries: dict[str, Entry], wb: Workbook) -> list[Unsure]:
    unknown = [key for key, entry in entries.items() if entry.unknown]
    # A breach's own report key is uncertain along with the report that covered it: the
    # report is the one message to ask about.
    covered = {part for key in unknown for part in _covered(key)}
    found = [
        Unsure(key, reference(key), *_describe(key, wb), entries[key].at, _why(entries[key]))
        for key in unknown
        if key not in covered
    ]
    return sorted(found, key=lambda item: (item.at, item.key))


def _why(entry: Entry) -> str:
    return entry.reason or "the run stopped while it was being sent"


def _describe(key: str, wb: Workbook) -> tuple[Kind, str]:
    """The kind of message a key stands for, and the person its row names."""
    prefix, _, rest = key.partition(":")
    kind = KINDS.get(prefix, UNKNOWN_KIND)
    if kind.tab is None or kind.tab not in wb.sheets:
        return kind, ""
    row_id, _, role = rest.partition(":")
    if prefix == "breach" and role == "chair":
        return kind, "the chair"
    frame = wb[kind.tab]
    if kind.name_column not in frame or "ID" not in frame:
        return kind, ""
    names = frame.loc[frame["ID"] == row_id, kind.name_column].tolist()
    return kind, str(names[0]) if names else ""


def _one(ref: str, unsure: list[Unsure]) -> Unsure:
    """The one uncertain message `ref` names (its reference or its whole key)."""
    wanted = _canonical(ref)
    matches = [u for u in unsure if wanted in (_canonical(u.ref), _canonical(u.key))]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ConfigError(
            f"--arrived {ref}: no uncertain message has that reference — run `alumni uncertain` "
            "to list them, and give a reference as shown (e.g. invite:AK-0007). Nothing was "
            "recorded."
        )
    keys = ", ".join(u.key for u in matches)
    raise ConfigError(
        f"--arrived {ref}: names {len(matches)} uncertain messages ({keys}) — give the whole "
        "key of the one that arrived. Nothing was recorded."
    )


def _canonical(ref: str) -> str:
    """A reference compared as the journal writes it: the row ID in its long form (`AK-7` is
    `AK-0007`), case and blanks folded."""
    parts = ref.strip().split(":")
    if len(parts) >= 2:
        letters = re.match(r"\s*([A-Za-z]+)", parts[1])
        if letters:
            parts[1] = canonical_id(parts[1], letters[1].upper())
    return fold(":".join(parts))
