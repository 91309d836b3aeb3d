"""Identity that survives people: a retyped ID is the same ID, and an ID in two rows mails
neither row until a person gives each its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alumni.sheet.cells import canonical_id
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import alumni


@pytest.mark.parametrize(
    ("typed", "prefix", "read"),
    [
        ("KL-0003", "KL", "KL-0003"),
        ("KL-3", "KL", "KL-0003"),
        ("kl-03", "KL", "KL-0003"),
        (" KL 3 ", "KL", "KL-0003"),
        ("KL0003", "KL", "KL-0003"),
        ("KL–3", "KL", "KL-0003"),  # an en dash, as a word processor makes it
        ("KL-12345", "KL", "KL-12345"),
        ("AK-3", "KL", "AK-3"),  # another tab's ID is not this tab's
        ("KL-3b", "KL", "KL-3b"),
        ("3", "KL", "3"),
        ("", "KL", ""),
        ("Branschdag", None, "Branschdag"),
    ],
)
def test_an_id_is_read_as_the_tool_writes_it(typed: str, prefix: str | None, read: str) -> None:
    assert canonical_id(typed, prefix) == read


def rows(folder: Path, title: str) -> list[dict[str, Any]]:
    values = list(load_workbook(folder / "alumni.xlsx")[title].iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=False)) for r in values[1:]]


def change(folder: Path, title: str, edit: Any) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    edit(book[title])
    book.save(folder / "alumni.xlsx")


def add_row(title: str, values: dict[str, Any]) -> Any:
    def edit(ws: Any) -> None:
        header = [c.value for c in ws[1]]
        ws.append([values.get(h) for h in header])

    return edit


def test_a_retyped_id_is_the_same_row(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(folder, "Kontaktlogg", lambda ws: ws.cell(5, 1, "KL-4"))  # was KL-0004
    code, out, _ = alumni(capsys, "overdue")
    assert code == 0, out
    assert "removed" not in out and "KL-0009" not in out
    row = next(r for r in rows(folder, "Kontaktlogg") if r["ID"] == "KL-4")
    assert row["Status"] == "Försenad"  # written to the row people meant
    code, out, _ = alumni(capsys, "check")
    assert code == 0, out


def test_an_id_typed_two_ways_in_two_rows_is_a_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = {"ID": "KL-3", "Projekt": "Mentorskap", "Alumn": "Karin Nyström"}
    change(folder, "Kontaktlogg", add_row("Kontaktlogg", copy))
    code, out, _ = alumni(capsys, "check")
    assert code == 1
    assert "Kontaktlogg!A10: the ID KL-0003 is also in row 4" in out


def test_a_copied_contact_row_mails_neither_and_the_rest_go(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    copy = {
        "ID": "KL-8",  # KL-0008 copied, its ID retyped short, another alumnus written in
        "Projekt": "Mentorskap",
        "Alumn": "Karin Nyström",
        "Kontaktperson": "Elin Sjöström",
    }
    other = {
        "ID": "KL-0009",
        "Projekt": "Mentorskap",
        "Alumn": "Johan Åkerlund",
        "Kontaktperson": "Elin Sjöström",
    }
    change(folder, "Kontaktlogg", add_row("Kontaktlogg", copy))
    change(folder, "Kontaktlogg", add_row("Kontaktlogg", other))
    code, out, err = alumni(capsys, "contact", "--send")
    assert code == 1, out + err
    assert "the ID KL-0008 stands in several rows, so neither alumnus is contacted" in out + err
    to = sorted(str(m.message["To"]) for m in smtp_server.messages)
    assert len(to) == 1 and "johan.akerlund@example.org" in to[0]
    contacted = {r["ID"]: r["Kontaktad"] for r in rows(folder, "Kontaktlogg")}
    assert contacted["KL-0008"] is None and contacted["KL-8"] is None
    assert contacted["KL-0009"] is not None


def test_a_copied_graduate_row_is_invited_by_neither_row(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    copy = {
        "ID": "AK-0004",
        "Namn": "Klara Kopia",
        "E-post": "klara.kopia@student.example.org",
        "Examensår": 2026,
        "Språk": "sv",
    }
    change(folder, "Avgångsklass", add_row("Avgångsklass", copy))
    code, out, err = alumni(capsys, "invite", "--send")
    assert code == 1, out + err
    assert "the ID AK-0004 stands in several rows, so neither is invited" in out + err
    invited = {str(m.message["To"]) for m in smtp_server.messages}
    assert not [t for t in invited if "klara" in t]


def test_editing_projekt_of_a_contacted_row_does_not_contact_again(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    code, out, err = alumni(capsys, "contact", "--send")
    assert code == 0, out + err
    first = len(smtp_server.messages)
    assert first == 1

    def edit(ws: Any) -> None:
        header = [c.value for c in ws[1]]
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "KL-0008")
        row[header.index("Projekt")].value = "Branschdag 2027"
        row[header.index("Kontaktad")].value = None  # as if the sheet had not kept the mark

    change(folder, "Kontaktlogg", edit)
    code, out, err = alumni(capsys, "contact", "--send")
    assert len(smtp_server.messages) == first, out + err


def test_a_deleted_rows_id_is_never_given_again(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The journal knows messages by row ID: a new row given a deleted row's ID could pass for
    a row already mailed (a reminder or breach notice that never goes)."""
    alumni(capsys, "daily")
    highest = max(r["ID"] for r in rows(folder, "Avgångsklass"))
    change(folder, "Avgångsklass", lambda ws: ws.delete_rows(ws.max_row))
    assert highest not in [r["ID"] for r in rows(folder, "Avgångsklass")]
    change(
        folder,
        "Avgångsklass",
        add_row(
            "Avgångsklass",
            {"Namn": "Ny Person", "E-post": "ny.person@example.org", "Examensår": 2026},
        ),
    )
    alumni(capsys, "daily")
    given = [r["ID"] for r in rows(folder, "Avgångsklass") if r["Namn"] == "Ny Person"]
    assert given == [f"AK-{int(highest[3:]) + 1:04d}"]
    figures = {r["Nyckeltal"]: r["Värde"] for r in rows(folder, "Översikt")}
    assert figures["Senast utdelade ID, AK"] == given[0]


def test_a_selected_alumnus_never_gets_a_deleted_contact_rows_id(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alumni(capsys, "daily")  # the highest KL the demo has, kept in Översikt
    highest = max(r["ID"] for r in rows(folder, "Kontaktlogg"))
    change(folder, "Kontaktlogg", lambda ws: ws.delete_rows(ws.max_row))
    _, out, _ = alumni(capsys, "votes")
    added = [r["ID"] for r in rows(folder, "Kontaktlogg")][-1]
    assert added == f"KL-{int(highest[3:]) + 1:04d}", out


NEW = {"Namn": "Ny Person 3", "E-post": "ny.person.3@example.org", "Examensår": 2026, "Språk": "sv"}


def invitations_to(server: FakeSmtpServer, address: str) -> int:
    return sum([a.casefold() for a in m.rcpt_tos] == [address] for m in server.messages)


def test_a_row_copied_before_it_had_an_id_is_invited_by_neither_row(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    """Found by the model (tests/test_exactly_once_model.py, at length): a new graduate's row,
    copied before any run gave it an ID, got two IDs and two invitations."""
    change(folder, "Avgångsklass", add_row("Avgångsklass", NEW))
    change(folder, "Avgångsklass", add_row("Avgångsklass", NEW))

    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 1, out + err
    assert "Ny Person 3: the same address is also in row 15, so neither is invited" in err
    assert "Avgångsklass!C15" in err and "Avgångsklass!C14" in err
    assert invitations_to(smtp_server, "ny.person.3@example.org") == 0

    change(folder, "Avgångsklass", lambda ws: ws.delete_rows(15))
    assert alumni(capsys, "invite", "--send")[0] == 0
    assert alumni(capsys, "invite", "--send")[0] == 0
    assert invitations_to(smtp_server, "ny.person.3@example.org") == 1


@pytest.mark.parametrize("spelled", ["ny.person.3@example.org", " Ny.Person.3@EXAMPLE.org "])
def test_a_copy_of_an_invited_row_given_a_new_id_is_not_invited_again(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer, spelled: str
) -> None:
    """The doubled ID's hint says to empty the copy's ID: the copy then holds an address that
    was invited already, under the first row's ID."""
    change(folder, "Avgångsklass", add_row("Avgångsklass", NEW))
    assert alumni(capsys, "invite", "--send")[0] == 0
    first = next(r for r in rows(folder, "Avgångsklass") if r["Namn"] == "Ny Person 3")
    assert first["Inbjudningsstatus"] == "skickad"

    copy = {**NEW, "Namn": "Ny Person 3 (kopia)", "E-post": spelled}
    change(folder, "Avgångsklass", add_row("Avgångsklass", copy))  # no ID: the tool gives one
    change(folder, "Avgångsklass", lambda ws: ws.delete_rows(14))  # and the first row goes
    code, out, err = alumni(capsys, "invite", "--send")

    assert code == 0, out + err
    assert invitations_to(smtp_server, "ny.person.3@example.org") == 1
    (again,) = [r for r in rows(folder, "Avgångsklass") if r["Namn"] == "Ny Person 3 (kopia)"]
    assert again["ID"] not in ("", None, first["ID"])
    assert (again["Inbjudningsstatus"], again["Inbjuden"]) == ("skickad", first["Inbjuden"])
