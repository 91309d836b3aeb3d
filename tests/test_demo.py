"""Specifies the demo data: contract tabs and columns, consistent references, every status."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alumni.contract import TABS_BY_NAME, Kind, Owner, Status
from alumni.demo import demo_rows

ZONE = ZoneInfo("Europe/Stockholm")

NOWS = [
    datetime(2027, 1, 15, 9, 30, tzinfo=ZONE),
    datetime(2026, 9, 1, 0, 30, tzinfo=ZONE),  # half an hour into a new mandate
    datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZONE),  # the repeated hour, second time
    datetime(2026, 10, 25, 22, 10, tzinfo=ZONE),  # 20 hours back is in the repeated hour
    datetime(2026, 3, 29, 3, 15, tzinfo=ZONE),  # just after the skipped hour
    datetime(2026, 3, 29, 23, 0, tzinfo=ZONE),
    datetime(2026, 11, 28, 14, 5, tzinfo=ZONE),
]
IDS = [n.strftime("%Y-%m-%d %H:%M") + (" fold1" if n.fold else "") for n in NOWS]

Rows = dict[str, list[dict[str, str | int | float | None]]]

STATUSES = set(Status.ALL)
_TIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[a-z0-9][a-z0-9.-]*@(?:student\.)?example\.org")


@pytest.fixture(params=NOWS, ids=IDS)
def now(request: pytest.FixtureRequest) -> datetime:
    value: datetime = request.param
    return value


@pytest.fixture
def rows(now: datetime) -> Rows:
    return demo_rows(now)


def parse(text: object) -> datetime:
    """A written time as a UTC instant; naive text is Stockholm time, first of a repeated hour.

    Aware datetimes that share a zone compare and subtract by wall clock, so tests use UTC.
    """
    assert isinstance(text, str), text
    if _TIME_TEXT.fullmatch(text):
        naive = datetime.strptime(text, "%Y-%m-%d %H:%M")
    else:
        assert _DATE_TEXT.fullmatch(text), f"{text!r} is neither YYYY-MM-DD HH:MM nor YYYY-MM-DD"
        naive = datetime.strptime(text, "%Y-%m-%d")
    return naive.replace(tzinfo=ZONE).astimezone(UTC)


def expected_status(row: dict[str, str | int | float | None], now: datetime) -> str:
    """The policy's status of a contact round: 24 real hours to reply, warning at 6 left."""
    if "Kontaktad" not in row and "Alumnen svarade" not in row:
        return "Ej kontaktad"
    if "Alumnen svarade" not in row:
        return "Inväntar alumn"
    due = parse(row["Alumnen svarade"]) + timedelta(hours=24)
    if "Vi svarade" in row:
        return "Besvarad i tid" if parse(row["Vi svarade"]) <= due else "Besvarad sent"
    left = due - now.astimezone(UTC)
    if left < timedelta(0):
        return "Försenad"
    return "Snart försenad" if left <= timedelta(hours=6) else "Svar krävs"


def names(rows: Rows, tab: str, column: str = "Namn") -> set[str]:
    return {str(r[column]) for r in rows[tab] if column in r}


def test_tabs_and_columns_are_the_contracts(rows: Rows) -> None:
    assert set(rows) == set(TABS_BY_NAME) - {"Översikt"}
    for tab_name, tab_rows in rows.items():
        header = set(TABS_BY_NAME[tab_name].header)
        assert tab_rows, tab_name
        for row in tab_rows:
            assert set(row) <= header, (tab_name, set(row) - header)


def test_deterministic_for_the_same_now(now: datetime) -> None:
    assert demo_rows(now) == demo_rows(now)
    # the same instant given in another zone (not an IANA one) is written in Stockholm time
    assert demo_rows(now.astimezone(UTC)) == demo_rows(now)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        demo_rows(datetime(2026, 11, 28, 14, 5))


def test_cells_hold_what_their_column_kind_says(rows: Rows, now: datetime) -> None:
    for tab_name, tab_rows in rows.items():
        tab = TABS_BY_NAME[tab_name]
        for row in tab_rows:
            for column in tab.columns:
                if column.required:
                    assert column.name in row, (tab_name, column.name, row)
            for name, value in row.items():
                assert value is not None and value != "", (tab_name, name, row)
                kind = tab.column(name).kind
                where = (tab_name, name, value)
                if kind is Kind.TIME:
                    assert isinstance(value, str) and _TIME_TEXT.fullmatch(value), where
                    assert parse(value) < now.astimezone(UTC), where
                elif kind is Kind.DATE:
                    assert isinstance(value, str) and _DATE_TEXT.fullmatch(value), where
                    assert parse(value) <= now.astimezone(UTC), where
                elif kind is Kind.YEAR:
                    assert type(value) is int and 1990 <= value <= now.year, where
                elif kind is Kind.EMAIL:
                    assert isinstance(value, str) and _EMAIL.fullmatch(value), where
                elif kind is Kind.YESNO:
                    assert value in ("Ja", "Nej"), where
                elif kind is Kind.LANGUAGE:
                    assert value in ("sv", "en"), where
                elif kind is Kind.NUMBER:
                    assert type(value) is float, where
                else:
                    assert isinstance(value, str) and value == value.strip(), where


def test_ids_are_unique_and_numbered_in_order(rows: Rows) -> None:
    for tab_name, tab_rows in rows.items():
        prefix = TABS_BY_NAME[tab_name].id_prefix
        if prefix is None:
            assert all("ID" not in r for r in tab_rows)
            continue
        assert [r["ID"] for r in tab_rows] == [
            f"{prefix}-{n:04d}" for n in range(1, len(tab_rows) + 1)
        ]


def test_references_resolve(rows: Rows) -> None:
    members = names(rows, "Utskott")
    alumni = names(rows, "Alumner") | names(rows, "Alumner", "ID")
    groups: dict[str, set[str]] = {}
    for row in rows["Projektgrupper"]:
        assert row["Medlem"] in members
        groups.setdefault(str(row["Projekt"]), set()).add(str(row["Medlem"]))
    assert 1 <= len(groups) <= 2
    assert all(3 <= len(group) <= 4 for group in groups.values())

    for row in rows["Röster"]:
        assert row["Alumn"] in alumni
        assert row["Röstande"] in groups[str(row["Projekt"])]

    log = {r["ID"]: r for r in rows["Kontaktlogg"]}
    for row in log.values():
        assert row["Alumn"] in names(rows, "Alumner")  # a name, the way people write it
        assert row["Kontaktperson"] in groups[str(row["Projekt"])]
    rounds = Counter((r["Projekt"], r["Alumn"]) for r in log.values())
    assert max(rounds.values()) == 1

    for row in rows["Överträdelser"]:
        contact = log[row["Kontakt-ID"]]
        for column in ("Kontaktperson", "Alumn", "Projekt"):
            assert row[column] == contact[column]


def test_contact_log_covers_every_status(rows: Rows, now: datetime) -> None:
    statuses = [expected_status(r, now) for r in rows["Kontaktlogg"]]
    assert set(statuses) == STATUSES
    assert Counter(statuses)["Försenad"] == 2


def test_contact_times_are_in_order_and_script_columns_empty(rows: Rows, now: datetime) -> None:
    tab = TABS_BY_NAME["Kontaktlogg"]
    for row in rows["Kontaktlogg"]:
        times = [parse(row[c]) for c in ("Kontaktad", "Alumnen svarade", "Vi svarade") if c in row]
        assert times == sorted(times) and len(set(times)) == len(times), row
        assert all(t < now.astimezone(UTC) for t in times)
        # a later step without the earlier ones would be a contradiction in the log
        steps = [c in row for c in ("Kontaktad", "Alumnen svarade", "Vi svarade")]
        assert steps == sorted(steps, reverse=True), row
        written_by_tool = {c.name for c in tab.columns if c.owner is Owner.SCRIPT} - {"ID"}
        assert not written_by_tool & set(row), row


def test_the_old_breach_matches_its_late_contact_round(rows: Rows, now: datetime) -> None:
    (breach,) = rows["Överträdelser"]
    assert breach["ID"] == "OV-0001"
    contact = next(r for r in rows["Kontaktlogg"] if r["ID"] == breach["Kontakt-ID"])
    assert expected_status(contact, now) == "Besvarad sent"
    due = parse(contact["Alumnen svarade"]) + timedelta(hours=24)
    late = (parse(contact["Vi svarade"]) - due).total_seconds() / 3600
    assert breach["Försening (h)"] == pytest.approx(round(late, 1))
    assert due <= parse(breach["Datum"]) <= parse(breach["Behandlad"]) + timedelta(days=1)
    assert breach["Förklaring"]


def test_a_changed_vote_is_present(rows: Rows) -> None:
    by_ballot: dict[tuple[object, object, object], list[dict[str, object]]] = {}
    for row in rows["Röster"]:
        key = (row["Projekt"], row["Alumn"], row["Röstande"])
        by_ballot.setdefault(key, []).append(row)
    changed = [votes for votes in by_ballot.values() if len(votes) > 1]
    assert len(changed) == 1
    (votes,) = changed
    first, last = sorted(votes, key=lambda r: parse(r["Tidstämpel"]))
    assert first["Röst"] != last["Röst"]


def mandate_start(now: datetime) -> date:
    today = now.astimezone(ZONE).date()
    start = date(today.year, 9, 1)
    return start if today >= start else date(today.year - 1, 9, 1)


def test_committee_roles_activity_and_training(rows: Rows, now: datetime) -> None:
    committee = rows["Utskott"]
    assert 6 <= len(committee) <= 8
    posts = Counter(r["Post"] for r in committee)
    assert posts["Ordförande"] == 1 and posts["Näringslivsansvarig"] == 1
    assert posts["Ledamot"] == len(committee) - 2
    assert [r["Aktiv"] for r in committee].count("Nej") == 1
    assert all(r["Ort"] == "Luleå" and "Policy signerad" in r for r in committee)

    start = mandate_start(now)
    active = [r for r in committee if r["Aktiv"] == "Ja"]
    untrained = [r for r in active if "Utbildad" not in r]
    assert len(untrained) == 1
    for row in active:
        if "Utbildad" in row:
            trained = date.fromisoformat(str(row["Utbildad"]))
            assert (trained.year, trained.month) == (start.year, 9), row
    # who contacts alumni has been trained and is active
    trained_active = {r["Namn"] for r in active if "Utbildad" in r}
    assert {r["Kontaktperson"] for r in rows["Kontaktlogg"]} <= trained_active


def test_graduates_are_this_years_class_and_some_invited(rows: Rows, now: datetime) -> None:
    graduates = rows["Avgångsklass"]
    years = Counter(r["Examensår"] for r in graduates)
    assert years[now.year] >= 8 and years[now.year - 1] >= 1
    assert set(years) == {now.year, now.year - 1}
    assert 1 <= [r["Språk"] for r in graduates].count("en") <= 2
    invited = [r for r in graduates if "Inbjuden" in r]
    assert 2 <= len(invited) <= 3
    assert all(r["Inbjudningsstatus"] == "skickad" for r in invited)


def test_applications_cover_the_cases_the_assessment_meets(rows: Rows) -> None:
    graduates = rows["Avgångsklass"]
    by_email = {r["E-post"] for r in graduates}
    by_name_year = {(r["Namn"], r["Examensår"]) for r in graduates}
    applications = rows["Ansökningar"]
    untouched = {"Bedömning", "Motivering", "Bedömd"}
    assert not any(untouched & set(r) for r in applications)

    email_matches = [r for r in applications if r.get("E-post") in by_email]
    name_matches = [
        r
        for r in applications
        if r.get("E-post") not in by_email and (r["Namn"], r.get("Examensår")) in by_name_year
    ]
    assert email_matches and name_matches
    programmes = {r.get("Program") for r in applications}
    schools = {r.get("Lärosäte") for r in applications}
    assert {"Industriel ekonomi", "Indek", "I", "Maskinteknik"} <= programmes
    assert {"Lulea tekniska universitet", "LTU", "KTH"} <= schools
    assert any(
        r.get("Program") == "Industriell ekonomi" and r.get("Lärosäte") == "KTH"
        for r in applications
    )

    seen: dict[object, dict[str, object]] = {}
    duplicates = []
    for row in applications:
        if row.get("E-post") in seen:
            duplicates.append(row)
            assert parse(row["Tidstämpel"]) > parse(seen[row.get("E-post")]["Tidstämpel"])
        elif "E-post" in row:
            seen[row["E-post"]] = row
    assert len(duplicates) == 1

    pasted = [r for r in applications if "Tidstämpel" not in r]
    assert len(pasted) == 1 and set(pasted[0]) <= {"ID", "Namn", "Program"}

    (decided,) = [r for r in applications if "Beslut" in r]
    assert decided["Beslut"] == "Godkänn"
    assert parse(decided["Godkänd i LinkedIn"]) >= parse(decided["Tidstämpel"]) - timedelta(days=1)
    assert all(
        str(r["LinkedIn"]).startswith("https://www.linkedin.com/in/")
        for tab in ("Ansökningar", "Alumner")
        for r in rows[tab]
        if "LinkedIn" in r
    )


def test_alumni_work_at_swedish_companies(rows: Rows) -> None:
    alumni = rows["Alumner"]
    assert 6 <= len(alumni) <= 10
    assert {"LKAB", "SSAB", "Volvo", "Vattenfall", "Ericsson"} <= {r["Företag"] for r in alumni}
    assert [r["Språk"] for r in alumni].count("en") == 1


def test_names_use_swedish_letters(rows: Rows) -> None:
    people = (
        names(rows, "Utskott")
        | names(rows, "Alumner")
        | names(rows, "Avgångsklass")
        | names(rows, "Ansökningar")
    )
    for letter in "åäöÅÖ":
        assert any(letter in name for name in people), letter
    assert {"Åsa Öberg-Lind", "Märta Ek", "Björn Ångström", "Elin Sjöström"} <= names(
        rows, "Utskott"
    )


def test_emails_are_only_at_example_domains(rows: Rows) -> None:
    emails = [
        str(value)
        for tab_rows in rows.values()
        for row in tab_rows
        for column, value in row.items()
        if column == "E-post"
    ]
    assert emails
    assert all(_EMAIL.fullmatch(e) for e in emails), emails
    assert not any(
        "@" in str(value) and column != "E-post"
        for tab_rows in rows.values()
        for row in tab_rows
        for column, value in row.items()
    )
