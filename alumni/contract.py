"""The product contract in code: the sheet's tabs, headers and owners, and the committee's words."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import Enum

import numpy as np
import pandas as pd


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
    DECISION = "decision"  # the chair's Beslut: Godkänn, Avslå or empty


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
        Column("Beslut", "Decision", H, K.DECISION),
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

ROW = "_row"
"""The frame column the sheet reader adds: each row's 1-based row number in the sheet."""

MIN_YEAR, MAX_YEAR = 1950, 2100
"""The years a year cell (Examensår) may hold; anything outside is not read as a year."""

FUTURE_SLACK = pd.Timedelta(minutes=5)
"""How far past `now` a time people wrote may lie: the clocks of people, forms and the tool
disagree a little, so only a time beyond this is "in the future"."""

# Every character Python's str.isspace() accepts, plus the zero-width characters that
# pasting from web pages and e-mails leaves around a value but that isspace() ignores.
BLANK_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
    "\u180e\u200b\u200c\u200d\u2060\ufeff"
)


def is_missing(value: object) -> bool:
    """Tell whether a value is one of pandas' or Python's markers for "no value".

    None, pd.NA, NaT and a float NaN all count; an empty string does not (see is_blank).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def is_blank(value: object) -> bool:
    """Tell whether a cell is empty: a missing value, or text that is only whitespace.

    Whitespace includes the no-break space and the zero-width characters in BLANK_CHARS.
    """
    if isinstance(value, str):
        return not value.strip(BLANK_CHARS)
    return is_missing(value)


def cell_text(value: object) -> str:
    """A cell of a read frame as text without surrounding blanks, "" when it is blank."""
    if isinstance(value, str):
        return value.strip(BLANK_CHARS)
    if is_missing(value):
        return ""
    return str(value).strip(BLANK_CHARS)


_SPACES = re.compile(f"[{re.escape(BLANK_CHARS)}]+")


def fold(text: str) -> str:
    """Fold text for comparing: Unicode NFC, no case, and any run of blanks (BLANK_CHARS) as
    one space, none at the ends. Tab and header names, statuses, decisions and names compare
    folded."""
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


# ---------------------------------------------------------------------------------------------
# The committee's words: every status, decision and label the tool reads or writes, defined once.
# ---------------------------------------------------------------------------------------------


class Status:
    """Kontaktlogg `Status`: where a contact round stands against the 24-hour rule."""

    NOT_CONTACTED = "Ej kontaktad"
    AWAITING_ALUMNUS = "Inväntar alumn"
    REPLY_NEEDED = "Svar krävs"
    DUE_SOON = "Snart försenad"
    LATE = "Försenad"
    ANSWERED_IN_TIME = "Besvarad i tid"
    ANSWERED_LATE = "Besvarad sent"
    ALL = (
        NOT_CONTACTED,
        AWAITING_ALUMNUS,
        REPLY_NEEDED,
        DUE_SOON,
        LATE,
        ANSWERED_IN_TIME,
        ANSWERED_LATE,
    )
    OPEN = (REPLY_NEEDED, DUE_SOON, LATE)
    """The alumnus waits for our answer."""
    BREACHES = (LATE, ANSWERED_LATE)
    """Not answered within the deadline: each is a §4 breach."""


class Decision:
    """Ansökningar `Bedömning` (the tool's assessment) and `Beslut` (the chair's decision)."""

    APPROVE = "Godkänn"
    REJECT = "Avslå"
    REVIEW = "Granska"
    ASSESSMENTS = (APPROVE, REJECT, REVIEW)
    CHAIR = (APPROVE, REJECT)
    """What the chair may write in Beslut."""


class InviteStatus:
    """Avgångsklass `Inbjudningsstatus`."""

    SENT = "skickad"
    FAILED = "misslyckad"
    UNCERTAIN = "osäker"

    @staticmethod
    def failed(reason: str) -> str:
        """The status of an invitation the server refused, with its reason."""
        return f"{InviteStatus.FAILED}: {reason}"

    @staticmethod
    def is_failed(status: object) -> bool:
        return isinstance(status, str) and status.strip().startswith(InviteStatus.FAILED)


class Role:
    """Utskott `Post`: the posts the tool looks for."""

    CHAIR = "Ordförande"
    BUSINESS = "Näringslivsansvarig"
    MEMBER = "Ledamot"


class Figure:
    """Översikt `Nyckeltal`: the labels of the key figures and heartbeats the tool writes."""

    LAST_DAILY_RUN = "Senaste dagliga körning"
    LAST_CHECK = "Senaste deadlinekontroll"
    LAST_SUMMARY = "Senaste sammanfattning"
    PROBLEMS = "Problem i arket"
    ROWS_IN = "Rader i {tab}"
    APPLICATIONS = "Ansökningar i år"
    APPLICATIONS_APPROVED = "Ansökningar i år, godkända"
    APPLICATIONS_REJECTED = "Ansökningar i år, avslagna"
    APPLICATIONS_REVIEW = "Ansökningar i år, att granska"
    INVITATIONS_SENT = "Inbjudningar {year}, skickade"
    INVITATIONS_FAILED = "Inbjudningar {year}, misslyckade"
    INVITATIONS_UNCERTAIN = "Inbjudningar {year}, osäkra"
    SELECTED = "Utvalda alumner (rader i Kontaktlogg)"
    OPEN_REPLIES = "Öppna svar"
    NEAREST_DUE = "Närmaste svarstid"
    BREACHES = "Överträdelser detta mandat"
    BREACHES_EXPLAINED = "Överträdelser detta mandat, förklarade"
    BREACHES_UNEXPLAINED = "Överträdelser detta mandat, ej förklarade"
    REPLY_MEDIAN = "Svarstid median (h)"
    REPLY_P90 = "Svarstid 90:e percentil (h)"
    GAPS = "Brister mot policyn"
    LAST_ID = "Senast utdelade ID, {prefix}"


def fold_all(values: pd.Series) -> pd.Series:
    """`fold` for a whole column, once per distinct value (blank and non-text cells fold to "")."""
    table = {v: fold(v) if isinstance(v, str) else "" for v in pd.unique(values)}
    return values.map(table).astype(object)


_YES_NO = {"ja": True, "yes": True, "true": True, "nej": False, "no": False, "false": False}


def yes_no(value: object) -> bool:
    """A Ja/Nej (or Yes/No, or a Sheets checkbox's TRUE/FALSE) cell as a bool.

    Raises ValueError for anything else, blank included: the caller decides what blank means.
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        answer = _YES_NO.get(fold(value))
        if answer is not None:
            return answer
    raise ValueError("not yes/no")


def read_decision(value: object) -> str:
    """The chair's `Beslut` as `Decision.APPROVE` or `Decision.REJECT`, or "" when it is empty
    or says something else (`alumni check` reports the latter)."""
    if not isinstance(value, str):
        return ""
    return {fold(d): d for d in Decision.CHAIR}.get(fold(value), "")


def final_decision(decision: object, assessment: object) -> str:
    """What stands for an application: the chair's `Beslut` where given, else the tool's
    `Bedömning` (which may be "")."""
    chair = read_decision(decision)
    if chair:
        return chair
    if not isinstance(assessment, str):
        return ""
    return {fold(d): d for d in Decision.ASSESSMENTS}.get(fold(assessment), "")


def is_active(value: object) -> bool:
    """Whether a committee member is active by their `Aktiv` cell.

    Blank counts as active: the policy binds every member until someone writes that they left.
    """
    if is_blank(value):
        return True
    try:
        return yes_no(value)
    except ValueError:
        return True  # unreadable: `alumni check` names the cell; until then, still bound


def active_mask(values: pd.Series) -> np.ndarray:
    """`is_active` for a whole `Aktiv` column."""
    return np.fromiter((is_active(v) for v in values), dtype=bool, count=len(values))


def parse_month_day(text: str) -> tuple[int, int]:
    """`MM-DD` as numbers; ValueError unless it is a day every year has (so not 02-29)."""
    try:
        month, day = (int(part) for part in text.split("-"))
        pd.Timestamp(year=2001, month=month, day=day)
    except ValueError as error:
        raise ValueError(f"expected a date as MM-DD, got {text!r}") from error
    return month, day


def midnight(year: int, month: int, day: int, zone: tzinfo | None) -> pd.Timestamp:
    """The start of a calendar day in `zone` (naive when `zone` is None)."""
    day_start = pd.Timestamp(year=year, month=month, day=day)
    if zone is None:
        return day_start
    # Some zones skip midnight on their summer-time day; the day then starts at the gap's end.
    return day_start.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")


def mandate_start(now: pd.Timestamp, month_day: str = "09-01") -> pd.Timestamp:
    """The start of the committee's year (mandate): the latest `month_day` (MM-DD) on or
    before `now`, at midnight in `now`'s zone.

    Raises ValueError for a `month_day` that is not a date in every year.
    """
    month, day = parse_month_day(month_day)
    start = midnight(now.year, month, day, now.tzinfo)
    if start > now:
        start = midnight(now.year - 1, month, day, now.tzinfo)
    return start
