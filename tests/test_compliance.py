"""The policy compliance rules at their date boundaries, on frames as the sheet reader makes them."""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd
import pytest

from alumni.contract import (
    COMMITTEE,
    CONTACT_LOG,
    GRADUATES,
    PROJECT_GROUPS,
    Tab,
    mandate_start,
)
from alumni.rules.compliance import (
    INVITATION,
    INVITATION_RULE,
    NEEDS,
    REVISION,
    SIGNATURE,
    SIGNATURE_RULE,
    TRAINING,
    TRAINING_RULE,
    Gap,
    check_compliance,
)
from alumni.sheet.workbook import Cell, RawSheet, build_frame, resolve_layout

TZ = "Europe/Stockholm"
REVISED = pd.Timestamp("2026-09-01")


def frame(tab: Tab, header: list[str], *rows: list[Cell]) -> pd.DataFrame:
    """A tab's typed frame from cells, through the real sheet reader."""
    sheet = RawSheet(tab.name, [list(header), *[list(r) for r in rows]])
    data, findings, _ = build_frame(resolve_layout(tab, sheet), sheet, TZ)
    assert not findings
    return data


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def committee(*rows: list[Cell]) -> pd.DataFrame:
    header = ["Namn", "Aktiv", "Utbildad", "Policy signerad", "Ort"]
    return frame(COMMITTEE, header, *rows)


def groups(*members: str) -> pd.DataFrame:
    rows: list[list[Cell]] = [["Mässan", m] for m in members]
    return frame(PROJECT_GROUPS, ["Projekt", "Medlem"], *rows)


def log(*rows: list[Cell]) -> pd.DataFrame:
    header = ["ID", "Alumn", "Kontaktperson", "Kontaktad", "Alumnen svarade", "Vi svarade"]
    return frame(CONTACT_LOG, header, *rows)


def graduates(*rows: list[Cell]) -> pd.DataFrame:
    header = ["ID", "Namn", "E-post", "Examensår", "Inbjudningsstatus"]
    return frame(GRADUATES, header, *rows)


def signed(name: str, trained: str = "", active: str = "Ja") -> list[Cell]:
    """A member who signed the current policy, so only the rule under test speaks."""
    return [name, active, trained, "2026-09-02", "Lund"]


def check(
    now: str,
    members: pd.DataFrame | None = None,
    group: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    grads: pd.DataFrame | None = None,
    revised: pd.Timestamp | None = REVISED,
    **options: Any,
) -> list[Gap]:
    return check_compliance(
        committee() if members is None else members,
        groups() if group is None else group,
        log() if contacts is None else contacts,
        graduates() if grads is None else grads,
        at(now),
        policy_last_revised=revised,
        **options,
    )


def only(gaps: list[Gap], rule: str) -> list[Gap]:
    return [g for g in gaps if g.rule == rule]


@pytest.mark.parametrize(
    ("now", "month_day", "start"),
    [
        ("2026-09-01 00:00", "09-01", "2026-09-01"),
        ("2026-08-31 23:59", "09-01", "2025-09-01"),
        ("2027-02-15 12:00", "09-01", "2026-09-01"),
        ("2026-12-31 23:59", "01-01", "2026-01-01"),
        ("2026-08-14 10:00", "08-15", "2025-08-15"),
    ],
)
def test_mandate_start(now: str, month_day: str, start: str) -> None:
    assert mandate_start(at(now), month_day) == at(start)


def test_mandate_start_keeps_the_zone_and_rejects_bad_days() -> None:
    assert mandate_start(pd.Timestamp("2026-09-01 00:30", tz="UTC")) == pd.Timestamp(
        "2026-09-01", tz="UTC"
    )
    # 2026-08-31 23:30 UTC is already 1 September in Stockholm.
    assert mandate_start(pd.Timestamp("2026-08-31 23:30", tz="UTC").tz_convert(TZ)) == at(
        "2026-09-01"
    )
    for bad in ("02-29", "13-01", "9/1", ""):
        with pytest.raises(ValueError):
            mandate_start(at("2026-10-01"), bad)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        check_compliance(committee(), groups(), log(), graduates(), pd.Timestamp("2026-10-01"))


@pytest.mark.parametrize(
    ("now", "trained", "gap"),
    [
        # During the mandate's first month the training may still be ahead.
        ("2026-09-30 23:59", "", False),
        ("2026-10-01 00:00", "", True),
        ("2026-10-01 00:00", "2026-09-01", False),  # the mandate's first day counts
        ("2026-10-01 00:00", "2026-08-31", True),  # last mandate's training does not
        ("2026-10-01 00:00", "2025-09-10", True),
        ("2027-08-31 12:00", "2026-09-15", False),
        ("2027-09-01 00:00", "2026-09-15", False),  # new mandate: its first month again
        ("2027-10-01 00:00", "2026-09-15", True),
    ],
)
def test_training_boundaries(now: str, trained: str, gap: bool) -> None:
    gaps = only(
        check(now, committee(signed("Åsa Öberg-Lind", trained)), groups("Åsa Öberg-Lind")), TRAINING
    )
    start = mandate_start(at(now))
    expected = [
        Gap(
            TRAINING,
            "Åsa Öberg-Lind",
            f"Åsa Öberg-Lind har inte gått septemberutbildningen (mandatet från {start:%Y-%m-%d}).",
        )
    ]
    assert gaps == (expected if gap else [])


def test_training_message_example() -> None:
    gaps = check("2026-10-01", committee(signed("Åsa Öberg-Lind")), groups("Åsa Öberg-Lind"))
    assert only(gaps, TRAINING) == [
        Gap(
            TRAINING,
            "Åsa Öberg-Lind",
            "Åsa Öberg-Lind har inte gått septemberutbildningen (mandatet från 2026-09-01).",
        )
    ]


def test_training_month_follows_the_configured_mandate() -> None:
    gaps = check(
        "2026-02-01",
        committee(signed("Per")),
        groups("Per"),
        mandate_month_day="01-01",
        revised=pd.Timestamp("2026-01-01"),
    )
    assert [g.message for g in only(gaps, TRAINING)] == [
        "Per har inte gått januariutbildningen (mandatet från 2026-01-01)."
    ]


NFD = unicodedata.normalize("NFD", "Åsa Öberg-Lind")


@pytest.mark.parametrize(
    ("active", "in_group", "contact", "gap"),
    [
        ("Ja", "", None, False),  # neither in a group nor a contact person: no training needed
        ("Ja", "Åsa Öberg-Lind", None, True),
        ("", "Åsa Öberg-Lind", None, True),  # an empty Aktiv counts as active
        ("Nej", "Åsa Öberg-Lind", None, False),  # inactive members are ignored
        ("Ja", "  åsa   ÖBERG-lind ", None, True),  # case and spaces fold
        ("Ja", NFD, None, True),  # so does Unicode normalisation
        ("Ja", "Åsa Öberg", None, False),
        ("Ja", "", ["KL1", "Alumn A", "ÅSA ÖBERG-LIND", "2026-09-10", "2026-09-11", ""], True),
        ("Ja", "", ["KL1", "Alumn A", NFD, "", "", ""], True),  # not yet contacted is open too
        (
            "Ja",
            "",
            ["KL1", "Alumn A", "Åsa Öberg-Lind", "2026-09-10", "2026-09-11", "2026-09-11 12:00"],
            False,
        ),  # answered rounds do not count
        ("Nej", "", ["KL1", "Alumn A", "Åsa Öberg-Lind", "2026-09-10", "", ""], False),
    ],
)
def test_who_needs_training(
    active: str, in_group: str, contact: list[Cell] | None, gap: bool
) -> None:
    members = committee(signed("Åsa Öberg-Lind", active=active), signed("Bo", "2026-09-05"))
    group = groups(in_group, "Bo") if in_group else groups("Bo")
    contacts = log(contact) if contact else log()
    gaps = only(check("2026-10-01", members, group, contacts), TRAINING)
    assert [g.who for g in gaps] == (["Åsa Öberg-Lind"] if gap else [])


@pytest.mark.parametrize(
    ("row", "revised", "message"),
    [
        (["Bo", "Ja", "", "2026-09-02", "Lund"], REVISED, None),
        (["Bo", "Ja", "", "2026-09-01", "Lund"], REVISED, None),  # signed the revision's day
        (
            ["Bo", "Ja", "", "2026-08-31", "Lund"],
            REVISED,
            "Bo signerade policyn 2026-08-31, före senaste revisionen 2026-09-01, och behöver "
            "signera den igen.",
        ),
        (["Bo", "Ja", "", "", "Lund"], REVISED, "Bo har inte signerat policyn."),
        (["Bo", "Ja", "", "2026-09-02", ""], REVISED, "Bo har signerat policyn utan att ange ort."),
        (["Bo", "", "", "", ""], REVISED, "Bo har inte signerat policyn."),  # empty Aktiv
        (["Bo", "Nej", "", "", ""], REVISED, None),  # inactive members are ignored
        (["", "Ja", "", "", ""], REVISED, None),  # a nameless row is the reader's problem
        # Without a known revision any signature counts.
        (["Bo", "Ja", "", "2001-01-01", "Lund"], None, None),
        (["Bo", "Ja", "", "", "Lund"], None, "Bo har inte signerat policyn."),
        # A revision given as an aware time late in the day is still its local day.
        (
            ["Bo", "Ja", "", "2026-09-01", "Lund"],
            pd.Timestamp("2026-09-01 21:30", tz="UTC"),  # 23:30 in Stockholm
            None,
        ),
    ],
)
def test_signatures(row: list[Cell], revised: pd.Timestamp | None, message: str | None) -> None:
    gaps = only(check("2026-09-15", committee(row), revised=revised), SIGNATURE)
    assert [g.message for g in gaps] == ([message] if message else [])


@pytest.mark.parametrize(
    ("now", "revised", "gap"),
    [
        ("2026-09-01 00:00", "2026-09-01", False),  # revised on the mandate's first day
        ("2026-09-01 00:00", "2026-08-31", True),  # the day before the handover is too early
        ("2026-09-01 00:00", "2025-09-01", True),  # exactly 12 months: a mandate ago
        ("2026-08-31 23:59", "2025-09-01", False),  # still the mandate it was revised for
        ("2026-08-31 23:59", "2025-08-31", True),  # exactly 12 months, yet before its mandate
        ("2027-03-01 12:00", "2026-10-15", False),
    ],
)
def test_revision_boundaries(now: str, revised: str, gap: bool) -> None:
    gaps = only(check(now, revised=pd.Timestamp(revised)), REVISION)
    expected = Gap(
        REVISION, "", f"Policyn behöver revideras vid överlämningen (senast reviderad {revised})."
    )
    assert gaps == ([expected] if gap else [])


def test_revision_unknown() -> None:
    assert only(check("2026-10-01", revised=None), REVISION) == [
        Gap(
            REVISION,
            "",
            "Datum för senaste revision saknas i konfigurationen (policy.last_revised).",
        )
    ]


def test_revision_message_example() -> None:
    gaps = check("2026-10-01", revised=pd.Timestamp("2020-09-19"))
    assert [g.message for g in only(gaps, REVISION)] == [
        "Policyn behöver revideras vid överlämningen (senast reviderad 2020-09-19)."
    ]


INVITE = Gap(INVITATION, "", "Årets inbjudan till avgångsklassen har inte skickats (senast 1 maj).")


@pytest.mark.parametrize(
    ("now", "rows", "gap"),
    [
        ("2026-04-30 23:59", [["AK1", "Ada", "ada@x.se", 2026, ""]], False),
        ("2026-05-01 00:00", [["AK1", "Ada", "ada@x.se", 2026, ""]], True),
        ("2026-12-31 23:59", [["AK1", "Ada", "ada@x.se", 2026, ""]], True),
        ("2026-05-01 00:00", [], False),  # no graduates of the year to invite
        ("2026-05-01 00:00", [["AK1", "Ada", "ada@x.se", 2025, ""]], False),  # last year's class
        ("2026-05-01 00:00", [["AK1", "Ada", "ada@x.se", 2026, "skickad"]], False),
        ("2026-05-01 00:00", [["AK1", "Ada", "ada@x.se", 2026, " Skickad "]], False),
        (
            "2026-05-01 00:00",
            [
                ["AK1", "Ada", "ada@x.se", 2026, "misslyckad: 550"],
                ["AK2", "Bo", "bo@x.se", 2026, "skickad"],
            ],
            False,  # one sent is the year's invitation going out
        ),
        ("2026-05-01 00:00", [["AK1", "Ada", "ada@x.se", 2026, "misslyckad: 550"]], True),
        ("2026-05-01 00:00", [["AK1", "Ada", "ada@x.se", 2026, "osäker"]], True),
        ("2026-05-01 00:00", [["AK1", "Ada", "ada@x.se", "", ""]], False),
    ],
)
def test_invitation_boundaries(now: str, rows: list[list[Cell]], gap: bool) -> None:
    gaps = only(check(now, grads=graduates(*rows)), INVITATION)
    assert gaps == ([INVITE] if gap else [])


def test_invitation_date_is_configurable() -> None:
    grads = graduates(["AK1", "Ada", "ada@x.se", 2026, ""])
    assert only(check("2026-05-31 23:59", grads=grads, invite_by="06-01"), INVITATION) == []
    assert [
        g.message for g in only(check("2026-06-01", grads=grads, invite_by="06-01"), INVITATION)
    ] == ["Årets inbjudan till avgångsklassen har inte skickats (senast 1 juni)."]


def test_sorted_by_rule_then_name_and_deterministic() -> None:
    members = committee(
        ["Örjan", "Ja", "", "", ""],
        ["Åke", "Ja", "", "", ""],
        ["ärla", "Ja", "", "", ""],
        ["Zeta", "Ja", "", "", ""],
        ["Anna", "Ja", "", "", ""],
        ["Anna", "Ja", "", "", ""],  # the same person twice is one gap
    )
    group = groups("Örjan", "Åke", "ärla", "Zeta", "Anna")
    grads = graduates(["AK1", "Ada", "ada@x.se", 2026, ""])
    gaps = check("2026-10-01", members, group, grads=grads, revised=None)
    order = ["Anna", "Zeta", "Åke", "ärla", "Örjan"]
    assert [(g.rule, g.who) for g in gaps] == [
        (INVITATION, ""),
        *[(TRAINING, n) for n in order],
        (REVISION, ""),
        *[(SIGNATURE, n) for n in order],
    ]
    reversed_members = members.iloc[::-1].reset_index(drop=True)
    assert check("2026-10-01", reversed_members, group, grads=grads, revised=None) == gaps


def test_all_in_order_is_quiet() -> None:
    members = committee(signed("Åsa", "2026-09-05"), signed("Bo", active="Nej"))
    grads = graduates(["AK1", "Ada", "ada@x.se", 2027, "skickad"])
    contacts = log(["KL1", "Alumn A", "Åsa", "2026-09-10", "", ""])
    assert check("2027-05-01", members, groups("Åsa"), contacts, grads) == []


# --- unreadable is not "no", a missing column is not an empty one --------------------------------


def read(tab: Tab, header: list[str], *rows: list[Cell]) -> tuple[pd.DataFrame, list[bool]]:
    """A tab's frame and which rows could be read, as `Workbook.judge` gives them."""
    sheet = RawSheet(tab.name, [list(header), *[list(r) for r in rows]])
    data, _, unreadable = build_frame(resolve_layout(tab, sheet), sheet, TZ)
    bad = {pos for cells in unreadable.values() for pos in cells}
    return data, [pos not in bad for pos in range(len(data))]


COMMITTEE_HEADER = ["Namn", "Aktiv", "Utbildad", "Policy signerad", "Ort"]


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (["Åsa", "Ja", "i september", "2026-09-02", "Lund"], TRAINING),  # not "never trained"
        (["Åsa", "kanske", "", "2026-09-02", "Lund"], TRAINING),  # active is a guess
        (["Åsa", "Ja", "2026-09-05", "4 sept", "Lund"], SIGNATURE),  # not "never signed"
        (["Åsa", "ja?", "2026-09-05", "", "Lund"], SIGNATURE),
    ],
)
def test_a_member_whose_row_cannot_be_read_gets_no_gap(row: list[Cell], rule: str) -> None:
    members, judged = read(COMMITTEE, COMMITTEE_HEADER, row)
    name = {TRAINING: TRAINING_RULE, SIGNATURE: SIGNATURE_RULE}[rule]
    assert judged == [False]
    gaps = check_compliance(
        members,
        groups("Åsa"),
        log(),
        graduates(),
        at("2026-10-15"),
        policy_last_revised=REVISED,
        judged={name: {"Utskott": judged}},
    )
    assert only(gaps, rule) == []


def test_a_round_whose_answer_cannot_be_read_makes_nobody_working_with_alumni() -> None:
    header = ["ID", "Alumn", "Kontaktperson", "Kontaktad", "Alumnen svarade", "Vi svarade"]
    rounds, judged = read(CONTACT_LOG, header, ["KL1", "A", "Åsa", "2026-09-10", "", "igår"])
    members = committee(signed("Åsa"))
    gaps = check_compliance(
        members,
        groups(),
        rounds,
        graduates(),
        at("2026-10-15"),
        policy_last_revised=REVISED,
        judged={TRAINING_RULE: {"Kontaktlogg": judged}},
    )
    assert only(gaps, TRAINING) == []


@pytest.mark.parametrize("rule", [TRAINING_RULE, SIGNATURE_RULE, INVITATION_RULE])
def test_a_rule_that_judges_nothing_reports_no_gap(rule: str) -> None:
    members = committee(["Åsa", "Ja", "", "", ""])
    grads = graduates(["AK1", "Ada", "ada@x.se", 2026, ""])
    gaps = check_compliance(
        members, groups("Åsa"), log(), grads, at("2026-10-15"), judged={rule: None}
    )
    short = {TRAINING_RULE: TRAINING, SIGNATURE_RULE: SIGNATURE, INVITATION_RULE: INVITATION}
    assert only(gaps, short[rule]) == []
    assert {g.rule for g in gaps} == {TRAINING, SIGNATURE, INVITATION, REVISION} - {short[rule]}


GRAD_HEADER = ["ID", "Namn", "E-post", "Examensår", "Inbjuden", "Inbjudningsstatus"]


@pytest.mark.parametrize(
    ("rows", "gap"),
    [
        ([["AK1", "Ada", "ada@x.se", 2026, "", ""]], True),
        # Its year cannot be read: it may be this year's graduate, invited.
        (
            [
                ["AK1", "Ada", "ada@x.se", 2026, "", ""],
                ["AK2", "Bo", "b@x.se", "tjugosex", "", "skickad"],
            ],
            False,
        ),
        # Was Bo invited "i maj"? Then the year's invitation went out.
        (
            [["AK1", "Ada", "ada@x.se", 2026, "", ""], ["AK2", "Bo", "b@x.se", 2026, "i maj", ""]],
            False,
        ),
        # Another year's row that cannot be read changes nothing.
        (
            [["AK1", "Ada", "ada@x.se", 2026, "", ""], ["AK2", "Bo", "b@x.se", 2025, "i maj", ""]],
            True,
        ),
        # A time without a status was written by hand: invited, as the purge reads it.
        ([["AK1", "Ada", "ada@x.se", 2026, "2026-04-20 10:00", ""]], False),
        ([["AK1", "Ada", "ada@x.se", 2026, "2026-04-20 10:00", "misslyckad: 550"]], True),
    ],
)
def test_the_invitation_deadline_is_not_reported_on_a_guess(
    rows: list[list[Cell]], gap: bool
) -> None:
    grads, judged = read(GRADUATES, GRAD_HEADER, *rows)
    gaps = check_compliance(
        committee(),
        groups(),
        log(),
        grads,
        at("2026-06-01"),
        judged={INVITATION_RULE: {"Avgångsklass": judged}},
    )
    assert only(gaps, INVITATION) == ([INVITE] if gap else [])


def test_each_rule_declares_every_column_it_reads() -> None:
    assert NEEDS == {
        "the training rule (§3.2)": {
            "Utskott": ("Namn", "Aktiv", "Utbildad"),
            "Projektgrupper": ("Medlem",),
            "Kontaktlogg": ("Kontaktperson", "Vi svarade"),
        },
        "the signature rule (§6)": {"Utskott": ("Namn", "Aktiv", "Policy signerad", "Ort")},
        "the invitation deadline (§3.1)": {
            "Avgångsklass": ("Examensår", "Inbjuden", "Inbjudningsstatus")
        },
    }
