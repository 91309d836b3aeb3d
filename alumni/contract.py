"""The sheet's tabs, headers, aliases and who owns each column: the product contract in code."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum


class Owner(Enum):
    """Who may write a column."""

    SCRIPT = "script"  # written only by the tool
    HUMAN = "human"  # the committee, the chair or a form: never written by the tool
    FILL = "fill"  # the tool fills it only while it is empty (or in a row it appends)


class Kind(Enum):
    """What a cell holds, which decides how it is parsed and checked."""

    TEXT = "text"
    TIME = "time"  # a date/time by the contract's time rules
    DATE = "date"  # a date (a time also parses; the tool writes YYYY-MM-DD)
    YEAR = "year"
    EMAIL = "email"
    YESNO = "yesno"
    LANGUAGE = "language"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    """One header of a tab: its Swedish name, English alias, owner and kind."""

    name: str
    alias: str
    owner: Owner = Owner.HUMAN
    kind: Kind = Kind.TEXT
    required: bool = False


@dataclass(frozen=True)
class Tab:
    """One tab of the sheet and the columns the contract gives it."""

    name: str
    alias: str
    columns: tuple[Column, ...]
    key: str | None = None  # the column that identifies a row
    id_prefix: str | None = None  # set when the tool hands out IDs in the key column
    by_tool: bool = False  # the tool creates the tab (or its header) when missing
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        """The column called `name` (its Swedish name)."""
        return self._by_name[name]

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


S, H, F = Owner.SCRIPT, Owner.HUMAN, Owner.FILL
K = Kind


def _id() -> Column:
    return Column("ID", "ID", S)


GRADUATES = Tab(
    "Avgångsklass",
    "Graduates",
    (
        _id(),
        Column("Namn", "Name", H, K.TEXT, required=True),
        Column("E-post", "Email", H, K.EMAIL, required=True),
        Column("Examensår", "Graduation year", H, K.YEAR, required=True),
        Column("Språk", "Language", H, K.LANGUAGE),
        Column("Inbjuden", "Invited at", S, K.TIME),
        Column("Inbjudningsstatus", "Invite status", S),
    ),
    key="ID",
    id_prefix="AK",
)

APPLICATIONS = Tab(
    "Ansökningar",
    "Applications",
    (
        Column("Tidstämpel", "Timestamp", H, K.TIME),
        _id(),
        Column("Namn", "Name", H, K.TEXT, required=True),
        Column("E-post", "Email", H, K.EMAIL),
        Column("LinkedIn", "LinkedIn", H),
        Column("Program", "Programme", H),
        Column("Lärosäte", "University", H),
        Column("Examensår", "Graduation year", H, K.YEAR),
        Column("Bedömning", "Assessment", S),
        Column("Motivering", "Reason", S),
        Column("Bedömd", "Assessed at", S, K.TIME),
        Column("Beslut", "Decision", H),
        Column("Godkänd i LinkedIn", "Approved in LinkedIn", H, K.DATE),
    ),
    key="ID",
    id_prefix="AN",
)

ALUMNI = Tab(
    "Alumner",
    "Alumni",
    (
        _id(),
        Column("Namn", "Name", H, K.TEXT, required=True),
        Column("E-post", "Email", H, K.EMAIL),
        Column("Företag", "Company", H),
        Column("Befattning", "Title", H),
        Column("Examensår", "Graduation year", H, K.YEAR),
        Column("LinkedIn", "LinkedIn", H),
        Column("Språk", "Language", H, K.LANGUAGE),
    ),
    key="ID",
    id_prefix="AL",
)

COMMITTEE = Tab(
    "Utskott",
    "Committee",
    (
        Column("Namn", "Name", H, K.TEXT, required=True),
        Column("E-post", "Email", H, K.EMAIL),
        Column("Post", "Role", H),
        Column("Aktiv", "Active", H, K.YESNO),
        Column("Utbildad", "Trained", H, K.DATE),
        Column("Policy signerad", "Policy signed", H, K.DATE),
        Column("Ort", "Place", H),
    ),
)

PROJECT_GROUPS = Tab(
    "Projektgrupper",
    "Project groups",
    (
        Column("Projekt", "Project", H, K.TEXT, required=True),
        Column("Medlem", "Member", H, K.TEXT, required=True),
    ),
)

VOTES = Tab(
    "Röster",
    "Votes",
    (
        Column("Tidstämpel", "Timestamp", H, K.TIME),
        Column("Projekt", "Project", H, K.TEXT, required=True),
        Column("Alumn", "Alumnus", H, K.TEXT, required=True),
        Column("Röstande", "Voter", H, K.TEXT, required=True),
        Column("Röst", "Vote", H, K.YESNO, required=True),
    ),
)

CONTACT_LOG = Tab(
    "Kontaktlogg",
    "Contact log",
    (
        _id(),
        Column("Projekt", "Project", F),
        Column("Alumn", "Alumnus", F, K.TEXT, required=True),
        Column("Kontaktperson", "Contact person", F),
        Column("Kontaktad", "Contacted at", F, K.TIME),
        Column("Alumnen svarade", "Alumnus replied at", H, K.TIME),
        Column("Vi svarade", "We replied at", H, K.TIME),
        Column("Svara senast", "Reply due", S, K.TIME),
        Column("Status", "Status", S),
        Column("Försening (h)", "Hours late", S, K.NUMBER),
        Column("Påmind", "Reminded at", S, K.TIME),
        Column("Rapporterad", "Reported at", S, K.TIME),
    ),
    key="ID",
    id_prefix="KL",
)

VIOLATIONS = Tab(
    "Överträdelser",
    "Violations",
    (
        _id(),
        Column("Kontakt-ID", "Contact ID", S),
        Column("Datum", "Date", S, K.TIME),
        Column("Kontaktperson", "Contact person", F),
        Column("Alumn", "Alumnus", F),
        Column("Projekt", "Project", F),
        Column("Försening (h)", "Hours late", S, K.NUMBER),
        Column("Förklaring", "Explanation", H),
        Column("Behandlad", "Handled", H, K.DATE),
    ),
    key="ID",
    id_prefix="OV",
)

OVERVIEW = Tab(
    "Översikt",
    "Overview",
    (
        Column("Nyckeltal", "Figure", S),
        Column("Värde", "Value", S),
    ),
    key="Nyckeltal",
    by_tool=True,
)

TABS: tuple[Tab, ...] = (
    GRADUATES,
    APPLICATIONS,
    ALUMNI,
    COMMITTEE,
    PROJECT_GROUPS,
    VOTES,
    CONTACT_LOG,
    VIOLATIONS,
    OVERVIEW,
)
TABS_BY_NAME: dict[str, Tab] = {t.name: t for t in TABS}

_SPACES = re.compile(r"[\s\u00a0\u200b\u200c\u200d\ufeff]+")


def fold(text: str) -> str:
    """Fold a tab or header name for matching: Unicode NFC, case and surrounding/inner spaces."""
    text = unicodedata.normalize("NFC", str(text))
    return _SPACES.sub(" ", text).strip().casefold()


def tab(name: str) -> Tab:
    """The contract's tab with this Swedish name."""
    return TABS_BY_NAME[name]


def match_tab(title: str) -> Tab | None:
    """The contract tab a sheet title stands for (Swedish name or English alias), if any."""
    folded = fold(title)
    for t in TABS:
        if folded in (fold(t.name), fold(t.alias)):
            return t
    return None


def match_column(t: Tab, header: str) -> Column | None:
    """The column of tab `t` that a header cell names (Swedish name or alias), if any."""
    folded = fold(header)
    for c in t.columns:
        if folded in (fold(c.name), fold(c.alias)):
            return c
    return None
