"""§3.2 rule: which alumni each project group has voted to contact, and who should contact them."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alumni.contract import (
    ALUMNI,
    COMMITTEE,
    CONTACT_LOG,
    PROJECT_GROUPS,
    ROW,
    VOTES,
    fold,
    is_active,
)
from alumni.findings import Finding

RULE = "the vote count"
NEEDS: dict[str, tuple[str, ...]] = {
    # Every cell of a vote: the latest vote counts, so the time is part of the vote.
    VOTES.name: ("Tidstämpel", "Projekt", "Alumn", "Röstande", "Röst"),
    # Who may vote, and how many votes a majority takes.
    PROJECT_GROUPS.name: ("Projekt", "Medlem"),
    # The alumnus a vote names, by name or by ID.
    ALUMNI.name: ("ID", "Namn"),
    # Who is selected already (never twice), each contact person's open rounds, the next ID.
    CONTACT_LOG.name: ("ID", "Projekt", "Alumn", "Kontaktperson", "Vi svarade"),
    # Who may be proposed as contact person, and who is trained and has signed.
    COMMITTEE.name: ("Namn", "Aktiv", "Utbildad", "Policy signerad"),
}
"""The columns each tab must have, readable, for the vote count to judge a row."""

TALLY_COLUMNS = ["Projekt", "Alumn", "alumn_id", "yes", "members"]
PROPOSAL_COLUMNS = ["Projekt", "Alumn", "Kontaktperson"]

NOT_COUNTED = "the vote is not counted"
CONFLICT_HINT = "none of these votes is counted; fill in Tidstämpel or delete the wrong vote"

_CONTRACT_COLUMNS = {c.name: i for i, c in enumerate(VOTES.columns)}
_QUOTE = 60  # the most of a value a message repeats
_TOLERANCE = 1e-9  # a share such as 2/3 times 3 members must tie at 2, not miss it by float error


@dataclass(frozen=True)
class Tally:
    """The outcome of the votes: who is selected, who tied, and which votes were ignored.

    `selected` and `ties` have the columns Projekt (as Projektgrupper writes it), Alumn (the
    alumnus's Namn in Alumner), alumn_id (its ID there, "" while it has none), yes (votes for)
    and members (the size of the project group), sorted by project and alumnus. `findings`
    name each ignored vote's cell in Röster. `undecided` holds (Projekt, Alumn, alumn_id) of
    each alumnus whose count waits for a vote the tally could not read, sorted like the others.
    """

    selected: pd.DataFrame
    ties: pd.DataFrame
    findings: list[Finding]
    undecided: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Vote:
    row: int | None
    time: pd.Timestamp | None
    yes: bool
    voter: str
    alumnus: str


def tally_votes(
    votes: pd.DataFrame,
    groups: pd.DataFrame,
    alumni: pd.DataFrame,
    majority: float = 0.5,
    tab: str = "Röster",
    *,
    columns: Mapping[str, int] | None = None,
    judged: Sequence[bool] | np.ndarray | None = None,
) -> Tally:
    """Count each project group's votes on the alumni it may contact.

    Every member of a project's group (Projektgrupper) has one vote per alumnus: the latest by
    Tidstämpel, wherever the rows stand. A vote without a time counts when the order of the
    votes cannot matter, that is when it agrees with the member's latest timed vote on that
    alumnus and with any other vote without a time; otherwise each such vote is reported and
    none of the member's votes on that alumnus counts. Two different votes sharing the latest
    time are just as undecided, and reported alike.

    An alumnus is selected when the yes votes are more than `majority` times the number of
    members in the group, and tied when they are exactly that many (and at least one): a tie
    is not selected. A vote is ignored, with a finding on its cell, when its project is not in
    Projektgrupper, its voter not in that project's group, its alumnus neither a Namn nor an
    ID in Alumner (or a name that several alumni share), or its Röst neither yes nor no.
    Names are compared with `fold`, so case and spaces do not matter, and one alumnus named
    once by name and once by ID is the same alumnus.

    `judged` (by position; every row when None) says which votes the tally could read. A
    vote it could not read (its Röst or Tidstämpel) might be the one that counts, yes or no,
    so that member's vote on that alumnus is unknown. The alumnus is then decided only when
    the outcome is the same whichever way each unknown vote went; otherwise it is neither
    selected nor tied but listed in `undecided`, until the cell is fixed. Such a row gets no
    finding here; the caller names its cell.

    `tab` is the Röster tab's title as the sheet shows it; `columns` maps the contract's
    column names to their 0-based positions in the sheet (`Layout.columns`), and defaults to
    the contract's order. Raises ValueError unless 0 <= `majority` <= 1.
    """
    if not (math.isfinite(majority) and 0 <= majority <= 1):
        raise ValueError(f"majority must be a share between 0 and 1, got {majority!r}")
    positions = dict(_CONTRACT_COLUMNS if columns is None else columns)
    projects = _Projects(groups)
    registry = _Alumni(alumni)
    findings: list[Finding] = []

    def report(row: int | None, column: str, message: str, hint: str = NOT_COUNTED) -> None:
        findings.append(Finding(tab, row, positions.get(column), message, hint, column))

    readable = [True] * len(votes) if judged is None else [bool(j) for j in judged]
    waiting: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
    ballots: defaultdict[tuple[str, int, str], list[_Vote]] = defaultdict(list)
    for row, time, project_text, alumnus_text, voter_text, vote, read in zip(
        _rows(votes),
        _values(votes, "Tidstämpel"),
        _texts(votes, "Projekt"),
        _texts(votes, "Alumn"),
        _texts(votes, "Röstande"),
        _values(votes, "Röst"),
        readable,
        strict=True,
    ):
        project = projects.canonical(project_text)
        if not read:
            # Whatever this vote says, and whenever it was cast, it could be the one that
            # counts: the member's vote on this alumnus is unknown, not a no.
            alumnus, _ = registry.resolve(alumnus_text)
            member = project is not None and projects.has_member(project, voter_text)
            if project is not None and alumnus is not None and member:
                waiting[(project, alumnus)].add(fold(voter_text))
            continue
        ok = True
        if not project_text:
            report(row, "Projekt", "the vote names no project")
            ok = False
        elif project is None:
            report(row, "Projekt", f"{_quote(project_text)} is not a project in Projektgrupper")
            ok = False
        if not voter_text:
            report(row, "Röstande", "the vote names no voter")
            ok = False
        elif project is not None and not projects.has_member(project, voter_text):
            message = f"{_quote(voter_text)} is not in the project group of {_quote(project)}"
            report(row, "Röstande", message)
            ok = False
        alumnus, problem = registry.resolve(alumnus_text)
        if problem:
            hint = NOT_COUNTED
            if alumnus_text and alumnus is None and registry.shared(alumnus_text):
                hint += "; write the alumnus's ID instead of the name"
            report(row, "Alumn", problem, hint)
            ok = False
        if _missing(vote):
            report(row, "Röst", "the vote is neither yes nor no", f"{NOT_COUNTED}; write Ja or Nej")
            ok = False
        if ok and project is not None and alumnus is not None:
            when = None if _missing(time) else pd.Timestamp(time)
            key = (project, alumnus, fold(voter_text))
            ballots[key].append(_Vote(row, when, bool(vote), voter_text, alumnus_text))

    yes: Counter[tuple[str, int]] = Counter()
    counted: set[tuple[str, int]] = set()
    for (project, alumnus, voter), cast in ballots.items():
        if voter in waiting.get((project, alumnus), ()):
            continue  # this member's vote is unknown: one of theirs could not be read
        decided = _decide(cast)
        if decided is None:
            for vote, other in _conflicts(cast):
                who = f"the vote by {_quote(vote.voter)} on {_quote(vote.alumnus)}"
                if vote.time is None:
                    message = f"{who} has no time and differs from the one in row {other}"
                else:
                    message = f"{who} has the same time as the one in row {other} but differs"
                report(vote.row, "Tidstämpel", message, CONFLICT_HINT)
            continue
        counted.add((project, alumnus))
        yes[(project, alumnus)] += decided

    selected: list[tuple[str, str, str, int, int]] = []
    ties: list[tuple[str, str, str, int, int]] = []
    undecided: list[tuple[str, str, str]] = []
    for project, alumnus in counted | set(waiting):
        count, members = yes[(project, alumnus)], projects.size(project)
        line = (project, *registry.label(alumnus), count, members)
        threshold = majority * members
        # The members whose vote could not be read may each have voted yes or no: only an
        # outcome that is the same either way is decided.
        outcome = _outcome(count, threshold)
        if outcome != _outcome(count + len(waiting.get((project, alumnus), ())), threshold):
            undecided.append(line[:3])
        elif outcome == _TIE:
            ties.append(line)
        elif outcome == _SELECTED:
            selected.append(line)
    findings.sort(key=lambda f: (f.row or 0, -1 if f.col is None else f.col, f.message))
    undecided.sort(key=lambda t: (fold(t[0]), fold(t[1]), t[2], t[0], t[1]))
    return Tally(_tally_frame(selected), _tally_frame(ties), findings, undecided)


def propose_contacts(
    selected: pd.DataFrame,
    log: pd.DataFrame,
    groups: pd.DataFrame,
    committee: pd.DataFrame,
    mandate_start: pd.Timestamp,
    *,
    judged: Sequence[bool] | np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Propose a contact person for each selected alumnus that the contact log lacks.

    A selected (Projekt, Alumn) is in the log when a row there has the same project, or no
    project at all (so that an alumnus is not written to twice), and names the alumnus by
    Namn or by ID. Rows already in the log are never looked at again, let alone re-assigned.

    The contact person is an active member (Aktiv yes or blank in Utskott) of the project's
    group, preferably one trained this mandate (Utbildad on or after `mandate_start`) who has
    signed the policy. Among those, the one with the fewest open contacts wins: rows of the
    log with that Kontaktperson and no Vi svarade, plus the proposals this call has already
    made. Equal loads go to the first name in alphabetical order, so the same sheet always gets
    the same proposals. The alumni are handled in the order of project and alumnus.

    `judged` (by position in `committee`; every member when None) says whose Aktiv, Utbildad
    and Policy signerad could be read: a member whose row could not be is never proposed,
    since whether they are active is only a guess (the caller names the cell).

    Returns the proposals (columns Projekt, Alumn, Kontaktperson, with the index labels of
    `selected`; Kontaktperson is "" when no member is active) and warnings, as English
    sentences, for each proposal made without a trained and signed member or without anyone.
    """
    members = _Projects(groups)
    people = _Committee(committee, mandate_start, judged)
    load: Counter[str] = Counter(
        fold(person)
        for person, answered in zip(
            _texts(log, "Kontaktperson"), _values(log, "Vi svarade"), strict=True
        )
        if person and _missing(answered)
    )
    logged = _logged(log)

    projects, names = _texts(selected, "Projekt"), _texts(selected, "Alumn")
    ids = _texts(selected, "alumn_id")
    order = sorted(
        range(len(selected)), key=lambda i: (fold(projects[i]), fold(names[i]), ids[i], i)
    )
    labels: list[Any] = []
    rows: list[tuple[str, str, str]] = []
    warnings: list[str] = []
    for i in order:
        project, alumnus = projects[i], names[i]
        spellings = {fold(alumnus), fold(ids[i])} - {""}
        place = fold(project)
        if _in_log(logged, project, alumnus, ids[i]):
            continue
        # A proposal made now is in the log as far as the rest of this call is concerned.
        logged.update((place, s) for s in spellings)
        active = [
            person
            for member in members.members(project)
            if (person := people.get(member)) is not None and person.active
        ]
        pool = [p for p in active if p.qualified] or active
        chosen = ""
        if pool:
            best = min(pool, key=lambda p: (load[p.key], p.key, p.name))
            load[best.key] += 1
            chosen = best.name
            if not best.qualified:
                warnings.append(
                    f"no trained member with a signed policy in the group of {_quote(project)}: "
                    f"proposed {_quote(chosen)} anyway for {_quote(alumnus)}"
                )
        else:
            warnings.append(
                f"no active member in the group of {_quote(project)}: "
                f"nobody proposed for {_quote(alumnus)}"
            )
        labels.append(selected.index[i])
        rows.append((project, alumnus, chosen))
    proposals = pd.DataFrame(
        {
            name: pd.Series([r[k] for r in rows], dtype=object)
            for k, name in enumerate(PROPOSAL_COLUMNS)
        }
    )
    proposals.index = pd.Index(labels, dtype=selected.index.dtype if labels else object)
    return proposals, warnings


def not_logged(pairs: Sequence[tuple[str, str, str]], log: pd.DataFrame) -> list[tuple[str, str]]:
    """The (Projekt, Alumn) of each (Projekt, Alumn, alumn_id) that the contact log lacks, by the
    same test as `propose_contacts`: an alumnus once in the log is decided for good."""
    logged = _logged(log)
    return [(p, a) for p, a, i in pairs if not _in_log(logged, p, a, i)]


# --- helpers ---------------------------------------------------------------------------------

_NOT_SELECTED, _TIE, _SELECTED = 0, 1, 2


def _outcome(count: int, threshold: float) -> int:
    """Whether `count` yes votes select an alumnus, tie, or do not, against `threshold`."""
    if math.isclose(count, threshold, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE):
        return _TIE if count > 0 else _NOT_SELECTED
    return _SELECTED if count > threshold else _NOT_SELECTED


def _logged(log: pd.DataFrame) -> set[tuple[str, str]]:
    """(folded Projekt, folded Alumn) of every row of the contact log that names an alumnus."""
    return {
        (fold(project), fold(alumnus))
        for project, alumnus in zip(_texts(log, "Projekt"), _texts(log, "Alumn"), strict=True)
        if alumnus
    }


def _in_log(logged: set[tuple[str, str]], project: str, alumnus: str, alumn_id: str) -> bool:
    """Whether a row has this project, or none, and names the alumnus by Namn or by ID."""
    spellings = {fold(alumnus), fold(alumn_id)} - {""}
    return any((p, s) in logged for p in (fold(project), "") for s in spellings)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    """A text column as a list of str, "" for blank; all "" when the column is missing."""
    if column not in frame:
        return [""] * len(frame)
    return ["" if _missing(v) else str(v).strip() for v in frame[column].tolist()]


def _values(frame: pd.DataFrame, column: str) -> list[Any]:
    """A column's values (NA where missing), or all NA when the column is missing."""
    if column not in frame:
        return [None] * len(frame)
    return list(frame[column].tolist())


def _rows(frame: pd.DataFrame) -> list[int | None]:
    if ROW not in frame:
        return [None] * len(frame)
    return [int(r) for r in frame[ROW].tolist()]


def _quote(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > _QUOTE:
        text = text[: _QUOTE - 3] + "..."
    return f"'{text}'"


def _decide(cast: list[_Vote]) -> bool | None:
    """A member's vote on an alumnus, or None when the order of their votes cannot be told.

    The vote that counts is the latest; a vote without a time (or tied for the latest time)
    could be that one, so all such candidates must agree.
    """
    candidates = _candidates(cast)
    answers = {v.yes for v in candidates}
    return answers.pop() if len(answers) == 1 else None


def _candidates(cast: list[_Vote]) -> list[_Vote]:
    timed = [v for v in cast if v.time is not None]
    latest = max((v.time for v in timed if v.time is not None), default=None)
    return [v for v in cast if v.time is None or v.time == latest]


def _conflicts(cast: list[_Vote]) -> list[tuple[_Vote, int | None]]:
    """The votes to blame for an undecided vote, each with a row that says otherwise.

    Votes without a time are always to blame; timed ones only when two of them share the
    latest time and disagree, since a single latest timed vote is not itself wrong.
    """
    candidates = _candidates(cast)
    timed = [v for v in candidates if v.time is not None]
    blamed = [v for v in candidates if v.time is None]
    if len({v.yes for v in timed}) > 1:
        blamed += timed
    found = []
    for vote in blamed:
        rows = [o.row for o in candidates if o.yes != vote.yes and o.row is not None]
        found.append((vote, min(rows) if rows else None))
    return found


def _tally_frame(lines: list[tuple[str, str, str, int, int]]) -> pd.DataFrame:
    lines = sorted(lines, key=lambda t: (fold(t[0]), fold(t[1]), t[2], t[0], t[1]))
    return pd.DataFrame(
        {
            name: pd.Series([line[k] for line in lines], dtype="int64" if k >= 3 else object)
            for k, name in enumerate(TALLY_COLUMNS)
        }
    )


class _Projects:
    """Projektgrupper by folded project name: how it is written, and its members (folded)."""

    def __init__(self, groups: pd.DataFrame) -> None:
        self._names: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}
        for project, member in zip(
            _texts(groups, "Projekt"), _texts(groups, "Medlem"), strict=True
        ):
            if not project:
                continue
            key = fold(project)
            self._names.setdefault(key, project)
            members = self._members.setdefault(key, [])
            if member and fold(member) not in members:
                members.append(fold(member))

    def canonical(self, project: str) -> str | None:
        return self._names.get(fold(project)) if project else None

    def has_member(self, project: str, voter: str) -> bool:
        return fold(voter) in self._members.get(fold(project), [])

    def members(self, project: str) -> list[str]:
        return self._members.get(fold(project), [])

    def size(self, project: str) -> int:
        return len(self.members(project))


class _Alumni:
    """Alumner by folded Namn and by folded ID, to resolve the Alumn cell of a vote."""

    def __init__(self, alumni: pd.DataFrame) -> None:
        self._names = _texts(alumni, "Namn")
        self._ids = _texts(alumni, "ID")
        self._rows = _rows(alumni)
        self._by_name: defaultdict[str, list[int]] = defaultdict(list)
        self._by_id: defaultdict[str, list[int]] = defaultdict(list)
        for pos, (name, id_) in enumerate(zip(self._names, self._ids, strict=True)):
            if name:
                self._by_name[fold(name)].append(pos)
            if id_:
                self._by_id[fold(id_)].append(pos)

    def resolve(self, text: str) -> tuple[int | None, str]:
        """The position of the alumnus a cell names, or None and what is wrong with it."""
        if not text:
            return None, "the vote names no alumnus"
        key = fold(text)
        # An ID names one row on purpose, so it wins over a name that happens to look alike.
        hits = self._by_id.get(key) or self._by_name.get(key) or []
        if len(hits) == 1:
            return hits[0], ""
        if not hits:
            return None, f"{_quote(text)} is neither the name nor the ID of an alumnus in Alumner"
        rows = [r for r in (self._rows[p] for p in hits) if r is not None]
        where = f" (rows {', '.join(map(str, rows))})" if rows else ""
        return None, f"{_quote(text)} names several alumni in Alumner{where}"

    def shared(self, text: str) -> bool:
        return len(self._by_name.get(fold(text), [])) > 1

    def label(self, pos: int) -> tuple[str, str]:
        """The alumnus's Namn and ID as Alumner writes them."""
        return self._names[pos], self._ids[pos]


@dataclass(frozen=True)
class _Person:
    key: str
    name: str
    active: bool
    qualified: bool


class _Committee:
    """Utskott by folded Namn: who is active, and who is trained this mandate and has signed."""

    def __init__(
        self,
        committee: pd.DataFrame,
        mandate_start: pd.Timestamp,
        judged: Sequence[bool] | np.ndarray | None = None,
    ) -> None:
        self._people: dict[str, _Person] = {}
        readable = [True] * len(committee) if judged is None else [bool(j) for j in judged]
        for name, active, trained, signed, read in zip(
            _texts(committee, "Namn"),
            _values(committee, "Aktiv"),
            _values(committee, "Utbildad"),
            _values(committee, "Policy signerad"),
            readable,
            strict=True,
        ):
            if not name or fold(name) in self._people:
                continue
            qualified = _on_or_after(trained, mandate_start) and not _missing(signed)
            # An unreadable row is in the committee but never proposed: the first row of a
            # name decides, so a second, readable row of the same name cannot slip in.
            self._people[fold(name)] = _Person(
                fold(name), name, read and is_active(active), read and qualified
            )

    def get(self, member: str) -> _Person | None:
        return self._people.get(fold(member))


def _on_or_after(value: Any, start: pd.Timestamp) -> bool:
    """Whether a date is on or after `start`; a naive side is read in the other's zone."""
    if _missing(value):
        return False
    when = pd.Timestamp(value)
    if when.tzinfo is None and start.tzinfo is not None:
        when = when.tz_localize(start.tzinfo)
    elif when.tzinfo is not None and start.tzinfo is None:
        start = start.tz_localize(when.tzinfo)
    return bool(when >= start)
