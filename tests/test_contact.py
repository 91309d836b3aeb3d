"""`alumni votes`, `alumni contact` and `alumni lint` (§3.2) on the demo sheet and a real SMTP server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import COMMITTEE, NOW, alumni, write_config


def log(folder: Path) -> dict[str, dict[str, Any]]:
    ws = load_workbook(folder / "alumni.xlsx")["Kontaktlogg"]
    rows = list(ws.iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0], r, strict=False)) for r in rows[1:]}


def test_votes_select_once_and_propose_a_contact_person(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = alumni(capsys, "votes")
    assert code == 0
    assert out.splitlines() == [
        f"Votes 2026-11-28 14:05 on {folder / 'alumni.xlsx'}: 1 newly selected",
        "  Selected: Johan Åkerlund for Mentorskap (KL-0009), contact person Åsa Öberg-Lind",
    ]
    row = log(folder)["KL-0009"]
    assert (row["Projekt"], row["Alumn"], row["Kontaktperson"], row["Status"]) == (
        "Mentorskap",
        "Johan Åkerlund",
        "Åsa Öberg-Lind",
        "Ej kontaktad",
    )
    for _ in range(2):
        assert alumni(capsys, "votes")[1].splitlines()[0].endswith(": 0 newly selected")
    assert len(log(folder)) == 9


def test_contact_is_a_dry_run_until_send_and_then_goes_once_with_reply_to(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    alumni(capsys, "votes")
    code, out, _ = alumni(capsys, "contact")
    assert code == 0 and out.startswith("First contacts: 2 to send.")
    assert "Dry run: nothing was sent." in out and smtp_server.messages == []

    code, out, _ = alumni(capsys, "contact", "--send")
    assert code == 0 and "Sent 2, failed 0, uncertain 0, later 0." in out
    by_name = {
        str(m.message["To"].addresses[0].display_name): m.message for m in smtp_server.messages
    }
    english = by_name["James Whitfield"]
    assert english["Subject"] == "Request from the Alumni Committee of I-sektionen, LTU: Mentorskap"
    # The alumnus's reply, and the contact person's "reply all", reach the committee's mailbox.
    assert [(a.display_name, a.addr_spec) for a in english["Reply-To"].addresses] == [
        ("Elin Sjöström", "elin.sjostrom@example.org"),
        ("Alumniutskottet, I-sektionen", COMMITTEE),
    ]
    swedish = by_name["Johan Åkerlund"].get_body(("plain",)).get_content()
    assert swedish.startswith("Hej Johan Åkerlund,")
    assert "inte bli kontaktad igen" in " ".join(swedish.split())  # the GDPR Art. 14 note
    rows = log(folder)
    assert rows["KL-0008"]["Kontaktad"] == rows["KL-0009"]["Kontaktad"] == NOW

    smtp_server.reset()
    code, out, _ = alumni(capsys, "contact", "--send")
    assert out.startswith("First contacts: 0 to send.") and smtp_server.messages == []


def reply_to_of_first_contacts(
    capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> dict[str, list[tuple[str, str]]]:
    alumni(capsys, "votes")
    code, _, _ = alumni(capsys, "contact", "--send")
    assert code == 0
    return {
        str(m.message["To"].addresses[0].display_name): [
            (a.display_name, a.addr_spec) for a in m.message["Reply-To"].addresses
        ]
        for m in smtp_server.messages
    }


def test_reply_to_names_the_committee_address_when_it_differs_from_the_sender(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server, committee_address="alumniutskottet@sektionen.se")
    assert reply_to_of_first_contacts(capsys, smtp_server)["James Whitfield"] == [
        ("Elin Sjöström", "elin.sjostrom@example.org"),
        ("Alumniutskottet, I-sektionen", "alumniutskottet@sektionen.se"),
    ]
    assert all(
        str(m.message["From"].addresses[0].addr_spec) == COMMITTEE for m in smtp_server.messages
    )


def test_reply_to_lists_a_contact_person_who_is_the_committee_address_once(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    # The committee's mailbox is Elin's own (an example address would stop --send).
    book = load_workbook(folder / "alumni.xlsx")
    for row in book["Utskott"].iter_rows():
        for cell in row:
            if cell.value == "elin.sjostrom@example.org":
                cell.value = "elin.sjostrom@sektionen.se"
    book.save(folder / "alumni.xlsx")
    write_config(folder, smtp_server, committee_address="Elin.Sjostrom@sektionen.se")
    assert reply_to_of_first_contacts(capsys, smtp_server)["James Whitfield"] == [
        ("Elin Sjöström", "elin.sjostrom@sektionen.se")
    ]


def test_informal_language_stops_the_send_unless_allowed(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    templates = folder / "mallar"
    (templates / "lint").mkdir(parents=True)
    shipped = Path(__file__).resolve().parent.parent / "templates"
    for lint_file in (shipped / "lint").glob("*.txt"):
        (templates / "lint" / lint_file.name).write_text(lint_file.read_text(encoding="utf-8"))
    for lang in ("sv", "en"):
        (templates / f"alumni_contact.{lang}.j2").write_text(
            "{% block subject %}Hallå!!{% endblock %}{% block text %}Tjena {{ name }}!!\n\n"
            "Vi hörs.\n\nMvh\n{{ person }}{% endblock %}",
            encoding="utf-8",
        )
    config = (folder / "config.toml").read_text()
    (folder / "config.toml").write_text(
        config.replace("[mail]\n", '[mail]\ntemplates = "mallar"\n')
    )
    code, out, _ = alumni(capsys, "contact", "--send")
    assert code == 1
    assert "Informal: to James Whitfield (KL-0008): " in out
    assert "Nothing was sent: correct the template, or add --allow-informal." in out
    assert smtp_server.messages == []
    assert alumni(capsys, "contact", "--send", "--allow-informal")[0] == 0
    assert len(smtp_server.messages) == 1


def test_lint_checks_the_shipped_templates_and_names_file_and_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = alumni(capsys, "lint")
    assert code == 0 and out.endswith("findings.\n") and ", 0 findings." in out
    bad = folder / "bad.sv.j2"
    bad.write_text(
        "{% block subject %}Hej{% endblock %}\n{% block text %}\nTjena {{ name }},\n\nkram\n{% endblock %}\n"
    )
    code, out, _ = alumni(capsys, "lint", str(bad))
    assert code == 1
    assert "bad.sv.j2:3: informal greeting 'Tjena'" in out


def test_test_to_sends_one_sample_and_project_filters(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    alumni(capsys, "votes")
    code, out, _ = alumni(capsys, "contact", "--project", "mentorskap")
    assert out.startswith("First contacts: 2 to send.")
    code, out, _ = alumni(capsys, "contact", "--project", "Branschdag 2027")
    assert out.startswith("First contacts: 0 to send.")
    code, out, _ = alumni(capsys, "contact", "--test-to", "ordforande@example.org")
    assert code == 0 and out.splitlines()[-1] == (
        "Sent one sample to o…@example.org; nothing else was sent or written."
    )
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ordforande@example.org"]
    assert str(received.message["Subject"]).startswith("[Test] ")
    assert all(
        row["Kontaktad"] is None
        for key, row in log(folder).items()
        if key in ("KL-0008", "KL-0009")
    )


def test_a_refused_address_waits_until_it_is_corrected(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    """As for invitations: mailing a refused address again each run only repeats the refusal."""
    alumni(capsys, "votes")
    smtp_server.refuse("james.whitfield@example.org")
    code, out, _ = alumni(capsys, "contact", "--send")
    assert code == 1 and "Sent 1, failed 1, uncertain 0, later 0." in out
    smtp_server.reset()
    code, out, _ = alumni(capsys, "contact", "--send")
    assert code == 1 and smtp_server.messages == []
    assert out.splitlines()[:2] == [
        "First contacts: 0 to send.",
        "  Failed before (tried again once the address in Alumner is corrected): James Whitfield",
    ]
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Alumner"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("Namn")].value == "James Whitfield":
            row[header.index("E-post")].value = "j.whitfield@example.org"
    book.save(folder / "alumni.xlsx")
    code, out, _ = alumni(capsys, "contact", "--send")
    assert code == 0 and [m.rcpt_tos for m in smtp_server.messages] == [["j.whitfield@example.org"]]
