"""§3.2 rule: tallying the project groups' votes on alumni, and proposing contact persons."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from random import Random

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alumni.rules.votes import (
    NEEDS,
    PROPOSAL_COLUMNS,
    TALLY_COLUMNS,
    Tally,
    propose_contacts,
    tally_votes,
)
from alumni.sheet.workbook import RawSheet, load_workbook
from tests.helpers import alumni, demo_folder

TZ = "Europe/Stockholm"
MANDATE = pd.Timestamp("2026-09-01", tz=TZ)

Vote = tuple[str | None, str, str, str, bool | None]
"""(Tidstämpel, Projekt, Alumn, Röstande, Röst) of one vote; None for an empty cell."""


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def texts(values: Sequence[str]) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def times(values: Sequence[str | pd.Timestamp | None]) -> pd.Series:
    return pd.Series(
        [pd.NaT if v is None else pd.Timestamp(v, tz=TZ) for v in values],
        dtype=f"datetime64[ns, {TZ}]",
    )


def votes_frame(rows: Sequence[Vote]) -> pd.DataFrame:
    """Röster as the sheet reader gives it: row 1 is the header, so data starts at row 2."""
    return pd.DataFrame(
        {
            "Tidstämpel": times([r[0] for r in rows]),
            "Projekt": texts([r[1] for r in rows]),
            "Alumn": texts([r[2] for r in rows]),
            "Röstande": texts([r[3] for r in rows]),
            "Röst": pd.Series([r[4] for r in rows], dtype="boolean"),
            "_row": pd.Series(range(2, len(rows) + 2), dtype="int64"),
        }
    )


def groups_frame(groups: dict[str, Sequence[str]]) -> pd.DataFrame:
    pairs = [(p, m) for p, members in groups.items() for m in members]
    return pd.DataFrame(
        {
            "Projekt": texts([p for p, _ in pairs]),
            "Medlem": texts([m for _, m in pairs]),
            "_row": pd.Series(range(2, len(pairs) + 2), dtype="int64"),
        }
    )


def alumni_frame(people: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Alumner from (ID, Namn) pairs."""
    return pd.DataFrame(
        {
            "ID": texts([i for i, _ in people]),
            "Namn": texts([n for _, n in people]),
            "_row": pd.Series(range(2, len(people) + 2), dtype="int64"),
        }
    )


FOUR = ["Ada", "Bo", "Cy", "Di"]
THREE = ["Ada", "Bo", "Cy"]
GROUPS = groups_frame({"Mentorskap": FOUR, "Mässa": THREE})
ALUMNI = alumni_frame([("AL-0001", "Anna Berg"), ("AL-0002", "Erik Lund"), ("AL-0003", "Sara Ek")])


def tally(rows: Sequence[Vote], majority: float = 0.5, alumni: pd.DataFrame = ALUMNI) -> Tally:
    return tally_votes(votes_frame(rows), GROUPS, alumni, majority)


def outcome(result: Tally) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(selected, ties) as lists of (Projekt, Alumn, alumn_id, yes, members)."""
    return (
        [tuple(r) for r in result.selected.itertuples(index=False)],
        [tuple(r) for r in result.ties.itertuples(index=False)],
    )


def ballot(project: str, alumnus: str, yes: Sequence[str], no: Sequence[str] = ()) -> list[Vote]:
    """Votes all cast at the same moment: yes by the members in `yes`, no by those in `no`."""
    stamp = "2026-10-01 12:00"
    votes: list[Vote] = [(stamp, project, alumnus, v, True) for v in yes]
    return votes + [(stamp, project, alumnus, v, False) for v in no]


# --- majority --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "selected", "ties"),
    [
        pytest.param(
            ballot("Mentorskap", "Anna Berg", ["Ada", "Bo", "Cy"], ["Di"]),
            [("Mentorskap", "Anna Berg", "AL-0001", 3, 4)],
            [],
            id="3 of 4 yes: selected",
        ),
        pytest.param(
            ballot("Mentorskap", "Anna Berg", ["Ada", "Bo"], ["Cy", "Di"]),
            [],
            [("Mentorskap", "Anna Berg", "AL-0001", 2, 4)],
            id="2 of 4 yes: a tie",
        ),
        pytest.param(
            ballot("Mentorskap", "Anna Berg", ["Ada", "Bo"]),
            [],
            [("Mentorskap", "Anna Berg", "AL-0001", 2, 4)],
            id="2 of 4 yes, the others silent: still a tie",
        ),
        pytest.param(
            ballot("Mässa", "Anna Berg", ["Ada"], ["Bo", "Cy"]),
            [],
            [],
            id="1 of 3 yes: not selected",
        ),
        pytest.param(
            ballot("Mässa", "Anna Berg", ["Ada", "Bo"]),
            [("Mässa", "Anna Berg", "AL-0001", 2, 3)],
            [],
            id="2 of 3 yes: selected",
        ),
        pytest.param(
            ballot("Mässa", "Anna Berg", [], ["Ada", "Bo", "Cy"]),
            [],
            [],
            id="all no: neither",
        ),
        pytest.param(
            ballot("Mentorskap", "Erik Lund", ["Ada", "Bo", "Cy"])
            + ballot("Mässa", "Erik Lund", ["Ada"])
            + ballot("Mentorskap", "Anna Berg", ["Di", "Cy"]),
            [("Mentorskap", "Erik Lund", "AL-0002", 3, 4)],
            [("Mentorskap", "Anna Berg", "AL-0001", 2, 4)],
            id="projects and alumni are counted apart",
        ),
    ],
)
def test_majority_of_the_group(
    rows: list[Vote], selected: list[tuple[object, ...]], ties: list[tuple[object, ...]]
) -> None:
    result = tally(rows)
    assert outcome(result) == (selected, ties)
    assert result.findings == []


@pytest.mark.parametrize(
    ("majority", "yes", "expected"),
    [
        (0.5, 2, "tie"),
        (0.5, 3, "selected"),
        (2 / 3, 2, "none"),
        (2 / 3, 3, "selected"),
        (0.75, 3, "tie"),
        (0.75, 4, "selected"),
        (0.25, 1, "tie"),
        (0.25, 2, "selected"),
        (0.0, 1, "selected"),
    ],
)
def test_majority_is_configurable(majority: float, yes: int, expected: str) -> None:
    result = tally(ballot("Mentorskap", "Anna Berg", FOUR[:yes], FOUR[yes:]), majority)
    selected, ties = outcome(result)
    got = "selected" if selected else "tie" if ties else "none"
    assert got == expected


def test_a_two_thirds_majority_ties_at_exactly_two_thirds() -> None:
    result = tally(ballot("Mässa", "Anna Berg", ["Ada", "Bo"], ["Cy"]), 2 / 3)
    assert outcome(result) == ([], [("Mässa", "Anna Berg", "AL-0001", 2, 3)])


@pytest.mark.parametrize("majority", [-0.1, 1.5, float("nan"), float("inf")])
def test_a_majority_outside_zero_to_one_is_refused(majority: float) -> None:
    with pytest.raises(ValueError, match="majority"):
        tally([], majority)


def test_no_votes_give_empty_tables_with_the_columns() -> None:
    result = tally([])
    assert list(result.selected.columns) == TALLY_COLUMNS
    assert list(result.ties.columns) == TALLY_COLUMNS
    assert result.selected.empty and result.ties.empty and result.findings == []
    assert result.selected["yes"].dtype == "int64"


# --- changed votes and votes without time ----------------------------------------------------

YES_AHEAD = ballot("Mässa", "Anna Berg", ["Bo"])  # one more yes of three: Ada's vote decides


@pytest.mark.parametrize(
    ("rows", "selected"),
    [
        pytest.param(
            [
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", False),
                ("2026-10-02 12:00", "Mässa", "Anna Berg", "Ada", True),
            ],
            True,
            id="the later yes replaces a no",
        ),
        pytest.param(
            [
                ("2026-10-02 12:00", "Mässa", "Anna Berg", "Ada", True),
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", False),
            ],
            True,
            id="later by time, not by row",
        ),
        pytest.param(
            [
                ("2026-10-02 12:00", "Mässa", "Anna Berg", "Ada", False),
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", True),
            ],
            False,
            id="a later no withdraws a yes written below it",
        ),
        pytest.param(
            [
                ("2026-10-01 12:00", "Mässa", "Anna Berg", " ada ", True),
                ("2026-10-03 12:00", "MÄSSA", "anna  berg", "ADA", False),
            ],
            False,
            id="the same voter, alumnus and project whatever the spelling",
        ),
        pytest.param(
            [
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", True),
                ("2026-10-03 12:00", "Mässa", "AL-0001", "Ada", False),
            ],
            False,
            id="by name and by ID is the same alumnus",
        ),
        pytest.param(
            [(None, "Mässa", "Anna Berg", "Ada", True)],
            True,
            id="a single vote without time counts",
        ),
        pytest.param(
            [(None, "Mässa", "Anna Berg", "Ada", True), (None, "Mässa", "Anna Berg", "Ada", True)],
            True,
            id="identical duplicates without time count once",
        ),
        pytest.param(
            [
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", True),
                (None, "Mässa", "Anna Berg", "Ada", True),
            ],
            True,
            id="an untimed vote that agrees with the timed one",
        ),
    ],
)
def test_the_latest_vote_counts(rows: list[Vote], selected: bool) -> None:
    result = tally(YES_AHEAD + rows)
    assert bool(len(result.selected)) is selected
    if selected:
        assert result.selected["yes"].tolist() == [2]
    assert result.findings == []


@pytest.mark.parametrize(
    ("rows", "blamed"),
    [
        pytest.param(
            [(None, "Mässa", "Anna Berg", "Ada", True), (None, "Mässa", "Anna Berg", "Ada", False)],
            [
                (
                    3,
                    "the vote by 'Ada' on 'Anna Berg' has no time and differs from the one in row 4",
                ),
                (
                    4,
                    "the vote by 'Ada' on 'Anna Berg' has no time and differs from the one in row 3",
                ),
            ],
            id="two untimed votes that differ",
        ),
        pytest.param(
            [
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", True),
                (None, "Mässa", "Anna Berg", "Ada", False),
            ],
            [(4, "the vote by 'Ada' on 'Anna Berg' has no time and differs from the one in row 3")],
            id="an untimed vote against a timed one",
        ),
        pytest.param(
            [
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", True),
                ("2026-10-01 12:00", "Mässa", "Anna Berg", "Ada", False),
            ],
            [
                (
                    3,
                    "the vote by 'Ada' on 'Anna Berg' has the same time as the one in row 4 but differs",
                ),
                (
                    4,
                    "the vote by 'Ada' on 'Anna Berg' has the same time as the one in row 3 but differs",
                ),
            ],
            id="two different votes at the same time",
        ),
    ],
)
def test_conflicting_votes_are_reported_and_none_counts(
    rows: list[Vote], blamed: list[tuple[int, str]]
) -> None:
    result = tally(YES_AHEAD + rows)
    # Without Ada's vote Bo's yes is one of three: not selected, and no tie either.
    assert outcome(result) == ([], [])
    assert [(f.row, f.message) for f in result.findings] == blamed
    for finding in result.findings:
        assert (finding.tab, finding.column, finding.col) == ("Röster", "Tidstämpel", 0)
        assert "none of these votes is counted" in finding.hint


def test_a_conflict_costs_only_that_voter_on_that_alumnus() -> None:
    rows = [
        *ballot("Mentorskap", "Anna Berg", ["Bo", "Cy", "Di"]),
        (None, "Mentorskap", "Anna Berg", "Ada", True),
        (None, "Mentorskap", "Anna Berg", "Ada", False),
        *ballot("Mentorskap", "Erik Lund", ["Ada", "Bo", "Cy"]),
    ]
    selected, _ = outcome(tally(rows))
    assert selected == [
        ("Mentorskap", "Anna Berg", "AL-0001", 3, 4),
        ("Mentorskap", "Erik Lund", "AL-0002", 3, 4),
    ]


# --- ignored votes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vote", "text", "column"),
    [
        pytest.param(
            ("2026-10-01", "Mentorskap", "Anna Berg", "Bo Ek", True),
            "Röster!D5: 'Bo Ek' is not in the project group of 'Mentorskap' — the vote is not counted",
            "Röstande",
            id="non-member",
        ),
        pytest.param(
            ("2026-10-01", "Mässa", "Anna Berg", "Di", True),
            "Röster!D5: 'Di' is not in the project group of 'Mässa' — the vote is not counted",
            "Röstande",
            id="member of another project",
        ),
        pytest.param(
            ("2026-10-01", "Mentorskap", "Anna Borg", "Ada", True),
            "Röster!C5: 'Anna Borg' is neither the name nor the ID of an alumnus in Alumner — the vote is not counted",
            "Alumn",
            id="unknown alumnus",
        ),
        pytest.param(
            ("2026-10-01", "Mentorskap", "AL-0099", "Ada", True),
            "Röster!C5: 'AL-0099' is neither the name nor the ID of an alumnus in Alumner — the vote is not counted",
            "Alumn",
            id="unknown ID",
        ),
        pytest.param(
            ("2026-10-01", "Gasque", "Anna Berg", "Ada", True),
            "Röster!B5: 'Gasque' is not a project in Projektgrupper — the vote is not counted",
            "Projekt",
            id="unknown project",
        ),
        pytest.param(
            ("2026-10-01", "Mentorskap", "Anna Berg", "Ada", None),
            "Röster!E5: the vote is neither yes nor no — the vote is not counted; write Ja or Nej",
            "Röst",
            id="no yes or no",
        ),
        pytest.param(
            ("2026-10-01", "", "Anna Berg", "Ada", True),
            "Röster!B5: the vote names no project — the vote is not counted",
            "Projekt",
            id="no project",
        ),
        pytest.param(
            ("2026-10-01", "Mentorskap", "", "Ada", True),
            "Röster!C5: the vote names no alumnus — the vote is not counted",
            "Alumn",
            id="no alumnus",
        ),
        pytest.param(
            ("2026-10-01", "Mentorskap", "Anna Berg", "", True),
            "Röster!D5: the vote names no voter — the vote is not counted",
            "Röstande",
            id="no voter",
        ),
    ],
)
def test_bad_votes_are_reported_with_their_cell_and_ignored(
    vote: Vote, text: str, column: str
) -> None:
    # Two yes of four: the bad vote would make it three and select Anna Berg.
    rows = [
        *ballot("Mentorskap", "Anna Berg", ["Bo", "Cy"]),
        ("2026-10-01", "Mässa", "Sara Ek", "Ada", False),
        vote,
    ]
    result = tally(rows)
    assert [str(f) for f in result.findings] == [text]
    assert result.findings[0].column == column
    assert result.findings[0].row == 5
    assert result.selected.empty


def test_a_name_two_alumni_share_is_ambiguous() -> None:
    alumni = alumni_frame(
        [("AL-0001", "Anna Berg"), ("AL-0002", "anna berg"), ("AL-0003", "Sara Ek")]
    )
    rows = [
        *ballot("Mässa", "Anna Berg", ["Ada", "Bo"]),
        *ballot("Mässa", "AL-0002", ["Ada", "Bo"]),
    ]
    result = tally(rows, alumni=alumni)
    assert [str(f) for f in result.findings] == [
        "Röster!C2: 'Anna Berg' names several alumni in Alumner (rows 2, 3) — the vote is not counted; write the alumnus's ID instead of the name",
        "Röster!C3: 'Anna Berg' names several alumni in Alumner (rows 2, 3) — the vote is not counted; write the alumnus's ID instead of the name",
    ]
    # By ID the second of them is told apart and selected.
    assert outcome(result) == ([("Mässa", "anna berg", "AL-0002", 2, 3)], [])


def test_alumni_named_by_id_are_reported_by_their_name() -> None:
    rows = ballot("Mässa", "al-0003", ["Ada"]) + ballot("Mässa", "Sara Ek", ["Bo"])
    assert outcome(tally(rows)) == ([("Mässa", "Sara Ek", "AL-0003", 2, 3)], [])


def test_findings_use_the_sheets_column_positions_and_tab_title() -> None:
    rows = [("2026-10-01", "Mentorskap", "Anna Berg", "Bo Ek", True)]
    result = tally_votes(
        votes_frame(rows), GROUPS, ALUMNI, tab="Votes", columns={"Röstande": 7, "Projekt": 0}
    )
    assert [str(f) for f in result.findings] == [
        "Votes!H2: 'Bo Ek' is not in the project group of 'Mentorskap' — the vote is not counted"
    ]


def test_a_vote_with_several_problems_gets_a_finding_for_each() -> None:
    rows = [("2026-10-01", "Mentorskap", "Nobody", "Bo Ek", None)]
    assert [f.column for f in tally(rows).findings] == ["Alumn", "Röstande", "Röst"]


# --- order never matters ---------------------------------------------------------------------

_STAMPS = [None, "2026-10-01 12:00", "2026-10-01 12:00", "2026-10-02 08:30", "2026-10-03 09:00"]
_vote = st.tuples(
    st.sampled_from(_STAMPS),
    st.sampled_from(["Mentorskap", "Mässa", "mässa ", "Gasque"]),
    st.sampled_from(["Anna Berg", "AL-0001", "Erik Lund", "al-0002", "Sara Ek", "Nobody"]),
    st.sampled_from([*FOUR, "ada", "Bo Ek"]),
    st.sampled_from([True, False, True, None]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_vote, max_size=25), st.randoms(use_true_random=False))
def test_shuffling_the_rows_never_changes_the_result(rows: list[Vote], rng: Random) -> None:
    frame = votes_frame(rows)
    order = list(range(len(frame)))
    rng.shuffle(order)
    # Rows keep their sheet row numbers: the same sheet, sorted differently.
    shuffled = frame.iloc[order].reset_index(drop=True)
    first = tally_votes(frame, GROUPS, ALUMNI)
    again = tally_votes(shuffled, GROUPS, ALUMNI)
    pd.testing.assert_frame_equal(first.selected, again.selected)
    pd.testing.assert_frame_equal(first.ties, again.ties)
    assert first.findings == again.findings


# --- proposing contact persons ---------------------------------------------------------------


def committee_frame(
    people: Sequence[tuple[str, bool | None, str | None, str | None]],
) -> pd.DataFrame:
    """Utskott from (Namn, Aktiv, Utbildad, Policy signerad)."""
    return pd.DataFrame(
        {
            "Namn": texts([p[0] for p in people]),
            "Aktiv": pd.Series([p[1] for p in people], dtype="boolean"),
            "Utbildad": times([p[2] for p in people]),
            "Policy signerad": times([p[3] for p in people]),
            "_row": pd.Series(range(2, len(people) + 2), dtype="int64"),
        }
    )


def log_frame(rows: Sequence[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """Kontaktlogg from (Projekt, Alumn, Kontaktperson, Vi svarade)."""
    return pd.DataFrame(
        {
            "ID": texts([f"KL-{n:04d}" for n in range(1, len(rows) + 1)]),
            "Projekt": texts([r[0] for r in rows]),
            "Alumn": texts([r[1] for r in rows]),
            "Kontaktperson": texts([r[2] for r in rows]),
            "Vi svarade": times([r[3] for r in rows]),
            "_row": pd.Series(range(2, len(rows) + 2), dtype="int64"),
        }
    )


def selected_frame(rows: Sequence[tuple[str, str, str]]) -> pd.DataFrame:
    """Selected alumni from (Projekt, Alumn, alumn_id), as `tally_votes` gives them."""
    return pd.DataFrame(
        {
            "Projekt": texts([r[0] for r in rows]),
            "Alumn": texts([r[1] for r in rows]),
            "alumn_id": texts([r[2] for r in rows]),
            "yes": pd.Series([3] * len(rows), dtype="int64"),
            "members": pd.Series([4] * len(rows), dtype="int64"),
        }
    )


TRAINED, SIGNED, OLD = "2026-09-10", "2026-09-12", "2025-09-10"
COMMITTEE = committee_frame(
    [
        ("Ada", True, TRAINED, SIGNED),
        ("Bo", None, TRAINED, SIGNED),
        ("Cy", True, OLD, SIGNED),  # trained last mandate
        ("Di", True, TRAINED, None),  # has not signed
        ("Ek", False, TRAINED, SIGNED),  # has left
    ]
)
PROPOSAL_GROUPS = groups_frame(
    {
        "Mentorskap": ["Ada", "Bo", "Cy", "Di", "Ek"],
        "Mässa": ["Cy", "Di"],
        "Gasque": ["Ek"],
    }
)
ANNA, ERIK, SARA = ("AL-0001", "Anna Berg"), ("AL-0002", "Erik Lund"), ("AL-0003", "Sara Ek")


def propose(
    selected: Sequence[tuple[str, str, str]],
    log: Sequence[tuple[str, str, str, str | None]] = (),
    committee: pd.DataFrame = COMMITTEE,
) -> tuple[list[tuple[str, str, str]], list[str]]:
    proposals, warnings = propose_contacts(
        selected_frame(selected), log_frame(log), PROPOSAL_GROUPS, committee, MANDATE
    )
    assert list(proposals.columns) == PROPOSAL_COLUMNS
    return [(p, a, k) for p, a, k in proposals.itertuples(index=False)], warnings


def test_prefers_trained_members_with_a_signed_policy_and_balances_their_load() -> None:
    proposals, warnings = propose(
        [
            ("Mentorskap", "Anna Berg", "AL-0001"),
            ("Mentorskap", "Erik Lund", "AL-0002"),
            ("Mentorskap", "Sara Ek", "AL-0003"),
        ]
    )
    # Only Ada and Bo qualify (Bo's blank Aktiv counts as active); ties go by name.
    assert proposals == [
        ("Mentorskap", "Anna Berg", "Ada"),
        ("Mentorskap", "Erik Lund", "Bo"),
        ("Mentorskap", "Sara Ek", "Ada"),
    ]
    assert warnings == []


def test_open_contacts_in_the_log_count_toward_load_and_answered_ones_do_not() -> None:
    log = [
        ("Mässa", "Someone", "Ada", None),
        ("Mässa", "Someone else", "ada", None),
        ("Mässa", "Another", "Bo", "2026-10-05 10:00"),
        ("Mässa", "A third", "Bo", None),
    ]
    proposals, _ = propose(
        [("Mentorskap", "Anna Berg", "AL-0001"), ("Mentorskap", "Erik Lund", "AL-0002")], log
    )
    # Ada has two open contacts and Bo one: Bo first, and then, level at two, Ada by name.
    assert proposals == [
        ("Mentorskap", "Anna Berg", "Bo"),
        ("Mentorskap", "Erik Lund", "Ada"),
    ]


@pytest.mark.parametrize(
    "logged",
    [
        pytest.param(("Mentorskap", "Anna Berg", "Cy", None), id="by name"),
        pytest.param(("mentorskap ", "al-0001", "", None), id="by ID, without a contact person"),
        pytest.param(("", "ANNA BERG", "Cy", "2026-10-05"), id="without a project"),
    ],
)
def test_alumni_already_in_the_log_are_left_alone(
    logged: tuple[str, str, str, str | None],
) -> None:
    proposals, warnings = propose(
        [("Mentorskap", "Anna Berg", "AL-0001"), ("Mentorskap", "Erik Lund", "AL-0002")],
        [logged],
    )
    assert proposals == [("Mentorskap", "Erik Lund", "Ada")]
    assert warnings == []


def test_the_same_alumnus_for_another_project_gets_its_own_row() -> None:
    proposals, _ = propose(
        [("Mentorskap", "Anna Berg", "AL-0001"), ("Mässa", "Anna Berg", "AL-0001")],
        [("Mentorskap", "Anna Berg", "Ada", None)],
    )
    assert [p[:2] for p in proposals] == [("Mässa", "Anna Berg")]


def test_proposals_keep_the_index_of_selected_and_ignore_its_order() -> None:
    frame = selected_frame(
        [("Mentorskap", "Sara Ek", "AL-0003"), ("Mentorskap", "Anna Berg", "AL-0001")]
    )
    frame.index = pd.Index([10, 20])
    proposals, _ = propose_contacts(frame, log_frame([]), PROPOSAL_GROUPS, COMMITTEE, MANDATE)
    assert proposals.index.tolist() == [20, 10]
    assert proposals["Kontaktperson"].tolist() == ["Ada", "Bo"]


def test_warns_when_nobody_is_trained_and_signed() -> None:
    proposals, warnings = propose(
        [("Mässa", "Anna Berg", "AL-0001"), ("Mässa", "Erik Lund", "AL-0002")]
    )
    assert proposals == [("Mässa", "Anna Berg", "Cy"), ("Mässa", "Erik Lund", "Di")]
    assert warnings == [
        "no trained member with a signed policy in the group of 'Mässa': proposed 'Cy' anyway for 'Anna Berg'",
        "no trained member with a signed policy in the group of 'Mässa': proposed 'Di' anyway for 'Erik Lund'",
    ]


@pytest.mark.parametrize("project", ["Gasque", "Okänt"])
def test_warns_and_proposes_nobody_without_an_active_member(project: str) -> None:
    proposals, warnings = propose([(project, "Anna Berg", "AL-0001")])
    assert proposals == [(project, "Anna Berg", "")]
    assert warnings == [
        f"no active member in the group of '{project}': nobody proposed for 'Anna Berg'"
    ]


def test_members_missing_from_the_committee_are_not_proposed() -> None:
    committee = committee_frame([("Ada", False, TRAINED, SIGNED)])
    proposals, warnings = propose([("Mentorskap", "Anna Berg", "AL-0001")], committee=committee)
    assert proposals == [("Mentorskap", "Anna Berg", "")]
    assert len(warnings) == 1


def test_a_naive_mandate_start_is_read_in_the_zone_of_the_dates() -> None:
    proposals, _ = propose_contacts(
        selected_frame([("Mentorskap", "Anna Berg", "AL-0001")]),
        log_frame([]),
        PROPOSAL_GROUPS,
        COMMITTEE,
        pd.Timestamp("2026-09-01"),
    )
    assert proposals["Kontaktperson"].tolist() == ["Ada"]


def test_nothing_selected_proposes_nothing() -> None:
    proposals, warnings = propose_contacts(
        selected_frame([]), log_frame([]), PROPOSAL_GROUPS, COMMITTEE, MANDATE
    )
    assert proposals.empty and warnings == []
    assert list(proposals.columns) == PROPOSAL_COLUMNS


def test_the_tally_feeds_the_proposals() -> None:
    result = tally_votes(
        votes_frame(ballot("Mentorskap", "AL-0002", ["Ada", "Bo", "Cy"])), PROPOSAL_GROUPS, ALUMNI
    )
    proposals, _ = propose_contacts(
        result.selected, log_frame([]), PROPOSAL_GROUPS, COMMITTEE, MANDATE
    )
    assert proposals.to_dict("records") == [
        {"Projekt": "Mentorskap", "Alumn": "Erik Lund", "Kontaktperson": "Ada"}
    ]


def test_frames_from_the_sheet_reader_with_the_columns_in_another_order() -> None:
    raw = {
        "Röster": RawSheet(
            "Votes",
            [
                ["Alumn", "Röstande", "Röst", "Projekt", "Tidstämpel"],
                ["Anna Berg", "Ada", "Ja", "Mässa", "2026-10-01 12:00"],
                ["AL-0001", "Bo", "yes", "mässa", "28/09/2026"],
                ["Anna Berg", "Bo Ek", "Ja", "Mässa", ""],
            ],
        ),
        "Projektgrupper": RawSheet(
            "Projektgrupper",
            [["Projekt", "Medlem"], ["Mässa", "Ada"], ["Mässa", "Bo"], ["Mässa", "Cy"]],
        ),
        "Alumner": RawSheet("Alumner", [["ID", "Namn"], ["AL-0001", "Anna Berg"]]),
        "Utskott": RawSheet(
            "Utskott",
            [
                ["Namn", "Aktiv", "Utbildad", "Policy signerad"],
                ["Ada", "Ja", TRAINED, SIGNED],
                ["Bo", "", TRAINED, ""],
            ],
        ),
        "Kontaktlogg": RawSheet(
            "Kontaktlogg", [["ID", "Projekt", "Alumn", "Kontaktperson", "Vi svarade"]]
        ),
    }
    wb = load_workbook(raw, TZ)
    votes = wb.sheets["Röster"]
    result = tally_votes(
        votes.frame,
        wb["Projektgrupper"],
        wb["Alumner"],
        tab=votes.layout.shown,
        columns=votes.layout.columns,
    )
    assert outcome(result) == ([("Mässa", "Anna Berg", "AL-0001", 2, 3)], [])
    assert [str(f) for f in result.findings] == [
        "Votes!B4: 'Bo Ek' is not in the project group of 'Mässa' — the vote is not counted"
    ]
    proposals, warnings = propose_contacts(
        result.selected, wb["Kontaktlogg"], wb["Projektgrupper"], wb["Utskott"], MANDATE
    )
    assert proposals.to_dict("records") == [
        {"Projekt": "Mässa", "Alumn": "Anna Berg", "Kontaktperson": "Ada"}
    ]
    assert warnings == []


# --- `alumni votes` on the demo sheet: exact output and exit status ------------------------------


def test_alumni_votes_selects_once_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_folder(tmp_path, monkeypatch)
    capsys.readouterr()
    head = f"Votes 2026-11-28 14:05 on {tmp_path / 'alumni.xlsx'}"
    assert alumni(capsys, "votes") == (
        0,
        f"{head}: 1 newly selected\n"
        "  Selected: Johan Åkerlund for Mentorskap (KL-0009), contact person Åsa Öberg-Lind\n",
        "",
    )
    assert alumni(capsys, "votes") == (0, f"{head}: 0 newly selected\n", "")


def test_alumni_votes_with_a_vote_not_counted_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_folder(tmp_path, monkeypatch)
    alumni(capsys, "votes")
    book = openpyxl.load_workbook(tmp_path / "alumni.xlsx")
    book["Röster"].append(
        ["2026-11-27 10:00", "Mentorskap", "Johan Åkerlund", "Åsa Öberg-Lind", "kanske"]
    )
    book.save(tmp_path / "alumni.xlsx")
    # Johan Åkerlund is in the log already: what his count waits for no longer matters.
    assert alumni(capsys, "votes") == (
        1,
        f"Votes 2026-11-28 14:05 on {tmp_path / 'alumni.xlsx'}: 0 newly selected\n"
        "  Not judged, fix the sheet first: Röster!E39: the vote count did not judge this row: "
        "'kanske' is not yes or no — write Ja or Nej; until then the row is left as it is\n",
        "",
    )


# --- unreadable is not "no", a missing column is not an empty one --------------------------------

UNREAD = None  # a vote the sheet reader could not read: its cells come through empty


@pytest.mark.parametrize(
    ("rows", "unread", "selected", "undecided"),
    [
        pytest.param(
            [
                *ballot("Mentorskap", "Anna Berg", ["Ada", "Bo"], ["Cy"]),
                ("2026-10-02 12:00", "Mentorskap", "Anna Berg", "Di", UNREAD),
            ],
            [3],
            [],
            [("Mentorskap", "Anna Berg", "AL-0001")],
            id="2 of 4 yes and one unknown: 2 ties, 3 selects — not decided",
        ),
        pytest.param(
            [
                *ballot("Mentorskap", "Anna Berg", ["Ada", "Bo", "Cy"]),
                ("2026-10-02 12:00", "Mentorskap", "Anna Berg", "Di", UNREAD),
            ],
            [3],
            [("Mentorskap", "Anna Berg", "AL-0001", 3, 4)],
            [],
            id="3 of 4 yes: selected whatever the unknown vote says",
        ),
        pytest.param(
            [
                *ballot("Mentorskap", "Anna Berg", [], ["Ada", "Bo", "Cy"]),
                ("2026-10-02 12:00", "Mentorskap", "Anna Berg", "Di", UNREAD),
            ],
            [3],
            [],
            [],
            id="3 of 4 no: not selected whatever the unknown vote says",
        ),
        pytest.param(
            # Di voted yes, then (at a time nobody can read) maybe changed her mind: her
            # readable yes is not counted either, since the unreadable one may be the later.
            [
                *ballot("Mentorskap", "Anna Berg", ["Ada", "Bo", "Di"], ["Cy"]),
                (None, "Mentorskap", "Anna Berg", "Di", False),
            ],
            [4],
            [],
            [("Mentorskap", "Anna Berg", "AL-0001")],
            id="an unreadable time makes that member's vote unknown",
        ),
        pytest.param(
            [
                *ballot("Mässa", "Anna Berg", ["Ada"], ["Bo", "Cy"]),
                ("2026-10-02 12:00", "Mässa", "Anna Berg", "Di", UNREAD),
            ],
            [3],
            [],
            [],
            id="an unreadable vote by someone outside the group changes nothing",
        ),
        pytest.param(
            [
                *ballot("Mentorskap", "Anna Berg", ["Ada", "Bo", "Cy"]),
                ("2026-10-02 12:00", "Mässa", "Erik Lund", "Ada", UNREAD),
            ],
            [3],
            [("Mentorskap", "Anna Berg", "AL-0001", 3, 4)],
            [],
            id="an unknown vote on one alumnus leaves the others decided",
        ),
        pytest.param(
            [
                ("2026-10-02 12:00", "Mässa", "Erik Lund", "Ada", UNREAD),
                *ballot("Mässa", "Erik Lund", ["Bo"]),
            ],
            [0],
            [],
            [("Mässa", "Erik Lund", "AL-0002")],
            id="1 of 3 yes and one unknown: not decided",
        ),
    ],
)
def test_a_vote_that_cannot_be_read_is_neither_yes_nor_no(
    rows: list[Vote],
    unread: list[int],
    selected: list[tuple[object, ...]],
    undecided: list[tuple[str, str, str]],
) -> None:
    judged = [i not in unread for i in range(len(rows))]
    result = tally_votes(votes_frame(rows), GROUPS, ALUMNI, judged=judged)
    assert outcome(result) == (selected, [])
    assert result.undecided == undecided
    # The unreadable row is named by the caller (Workbook.judge), never as an ignored vote.
    assert [f.row for f in result.findings if f.row in [i + 2 for i in unread]] == []


def test_a_member_whose_row_cannot_be_read_is_never_proposed() -> None:
    committee = committee_frame(
        [
            ("Ada", True, TRAINED, SIGNED),
            ("Bo", None, TRAINED, SIGNED),
            ("Cy", True, OLD, SIGNED),
            ("Di", True, TRAINED, None),
            ("Ek", False, TRAINED, SIGNED),
        ]
    )
    selected = selected_frame([("Mentorskap", "Anna Berg", "AL-0001")])
    groups, log = PROPOSAL_GROUPS, log_frame([])
    everyone = propose_contacts(selected, log, groups, committee, MANDATE)[0]
    assert everyone["Kontaktperson"].tolist() == ["Ada"]
    # Ada's Aktiv said "kanske": whether she is active is a guess, so Bo is proposed.
    ada_unread = [False, True, True, True, True]
    proposals, warnings = propose_contacts(
        selected, log, groups, committee, MANDATE, judged=ada_unread
    )
    assert proposals["Kontaktperson"].tolist() == ["Bo"]
    assert warnings == []
    # Nobody readable is left in Gasque's group: nobody is proposed, and a warning says so.
    gasque = selected_frame([("Gasque", "Anna Berg", "AL-0001")])
    proposals, warnings = propose_contacts(
        gasque, log, groups, committee, MANDATE, judged=[True, True, True, True, False]
    )
    assert proposals["Kontaktperson"].tolist() == [""]
    assert warnings == [
        "no active member in the group of 'Gasque': nobody proposed for 'Anna Berg'"
    ]


def test_the_vote_count_declares_every_column_it_reads() -> None:
    assert NEEDS == {
        "Röster": ("Tidstämpel", "Projekt", "Alumn", "Röstande", "Röst"),
        "Projektgrupper": ("Projekt", "Medlem"),
        "Alumner": ("ID", "Namn"),
        "Kontaktlogg": ("ID", "Projekt", "Alumn", "Kontaktperson", "Vi svarade"),
        "Utskott": ("Namn", "Aktiv", "Utbildad", "Policy signerad"),
    }


def _type(path: Path, tab: str, row: int, column: str, value: object) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[tab]
    header = [c.value for c in ws[1]]
    ws.cell(row=row, column=header.index(column) + 1, value=value)
    book.save(path)


def _log(path: Path) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(path)["Kontaktlogg"].iter_rows(values_only=True))


@pytest.mark.parametrize(
    ("row", "column", "typed", "cell", "what"),
    [
        # Åsa's yes on Johan Åkerlund (Mentorskap): Elin said no and Linnéa yes, so hers decides.
        (35, "Röst", "kanske", "E35", "'kanske' is not yes or no — write Ja or Nej"),
        (35, "Röst", "Ja?", "E35", "'Ja?' is not yes or no — write Ja or Nej"),
        (
            35,
            "Tidstämpel",
            "igår kväll",
            "A35",
            "'igår kväll' is not a date/time (names a day relative to today)",
        ),
    ],
)
def test_alumni_votes_decides_nobody_on_a_vote_it_cannot_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    row: int,
    column: str,
    typed: str,
    cell: str,
    what: str,
) -> None:
    demo_folder(tmp_path, monkeypatch)
    path = tmp_path / "alumni.xlsx"
    if column == "Tidstämpel":
        # She changed her mind at a time nobody can read: which vote is the later one?
        book = openpyxl.load_workbook(path)
        book["Röster"].append([typed, "Mentorskap", "Johan Åkerlund", "Åsa Öberg-Lind", "Nej"])
        book.save(path)
        row = book["Röster"].max_row
        cell = f"A{row}"
    else:
        _type(path, "Röster", row, column, typed)
    before = _log(path)
    capsys.readouterr()
    code, out, err = alumni(capsys, "votes")
    assert (code, err) == (1, "")
    assert out.splitlines()[1:] == [
        "  Not decided until a vote can be read: Johan Åkerlund for Mentorskap",
        f"  Not judged, fix the sheet first: Röster!{cell}: the vote count did not judge this "
        f"row: {what}; until then the row is left as it is"
        if "date/time" not in what
        else f"  Not judged, fix the sheet first: Röster!{cell}: the vote count did not judge "
        f"this row: {what} — write it as 2026-11-28 14:05; until then the row is left as it is",
    ]
    assert _log(path) == before


def test_alumni_votes_proposes_no_member_whose_aktiv_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_folder(tmp_path, monkeypatch)
    path = tmp_path / "alumni.xlsx"
    _type(path, "Utskott", 2, "Aktiv", "kanske")  # Åsa Öberg-Lind, who would be proposed
    capsys.readouterr()
    code, out, err = alumni(capsys, "votes")
    assert (code, err) == (1, "")
    assert out.splitlines()[1:] == [
        "  Selected: Johan Åkerlund for Mentorskap (KL-0009), contact person Elin Sjöström",
        "  Not judged, fix the sheet first: Utskott!D2: the vote count did not judge this row: "
        "'kanske' is not yes or no — write Ja or Nej; until then the row is left as it is",
    ]


@pytest.mark.parametrize(
    ("tab", "column"),
    [
        ("Röster", "Röst"),
        ("Röster", "Tidstämpel"),
        ("Kontaktlogg", "Alumn"),  # without it every selected alumnus would be selected again
        ("Utskott", "Aktiv"),
        ("Alumner", "ID"),
    ],
)
def test_alumni_votes_counts_nothing_without_a_header_it_reads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tab: str,
    column: str,
) -> None:
    demo_folder(tmp_path, monkeypatch)
    path = tmp_path / "alumni.xlsx"
    book = openpyxl.load_workbook(path)
    header = next(c for c in book[tab][1] if c.value == column)
    header.value = "Okänd rubrik"
    book.save(path)
    before = _log(path)
    capsys.readouterr()
    code, out, err = alumni(capsys, "votes")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].endswith(": 0 newly selected")
    assert lines[1] == "  No vote was counted:"
    assert lines[2].startswith(f"    {tab}!")
    assert (
        f": the vote count judged nothing on this tab: the header '{column}' is missing — "
        in lines[2]
    )
    assert len(lines) == 3
    assert _log(path) == before
