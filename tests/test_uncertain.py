"""One way out of "uncertain" for every kind of message: a listing, the chair's confirmation
(`alumni uncertain --arrived REF`) and `--resend-uncertain` on each sending command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alumni.config import BUNDLED_TEMPLATES
from alumni.mail.journal import SENT, Journal
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import alumni, write_config

HINT = (
    "the message may have gone out; ask them, then use --resend-uncertain if it did not "
    "(see `alumni uncertain`)."
)


def received_by(server: FakeSmtpServer) -> list[str]:
    return [str(m.message["To"].addresses[0].display_name) for m in server.messages]


def contacted(folder: Path) -> dict[str, object]:
    ws = load_workbook(folder / "alumni.xlsx")["Kontaktlogg"]
    rows = list(ws.iter_rows(values_only=True))
    column = rows[0].index("Kontaktad")
    return {r[0]: r[column] for r in rows[1:]}


def test_a_first_contact_of_unknown_fate_is_listed_held_back_and_resent_only_when_asked(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    alumni(capsys, "votes")
    smtp_server.drop_connection(at_message=1, stage="DATA", keep=True)
    code, out, _ = alumni(capsys, "contact", "--send")
    assert code == 1
    assert "Sent 1, failed 0, uncertain 1, later 0." in out
    assert f"  Uncertain: James Whitfield — {HINT}" in out.splitlines()
    assert contacted(folder)["KL-0008"] is None  # not marked: it may not have arrived

    smtp_server.reset()
    code, out, _ = alumni(capsys, "contact")
    assert out.splitlines()[:2] == [
        "First contacts: 0 to send.",
        "  Uncertain (not sent again without --resend-uncertain): James Whitfield",
    ]
    assert alumni(capsys, "contact", "--send")[0] == 1 and smtp_server.messages == []

    code, out, _ = alumni(capsys, "uncertain")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "Uncertain: 1 message may or may not have gone out (none is sent again on a guess):"
    )
    assert lines[1].startswith(
        "  contact:KL-0008  first contact to James Whitfield, tried 2026-11-28 14:05 CET (the "
        "connection to 127.0.0.1:"
    )
    assert "was lost after the message was handed over" in lines[1]
    assert lines[2] == "      if it did not arrive: alumni contact --send --resend-uncertain"

    code, out, _ = alumni(capsys, "contact", "--send", "--resend-uncertain")
    assert code == 0 and "Sent 1, failed 0, uncertain 0, later 0." in out
    assert received_by(smtp_server) == ["James Whitfield"]
    assert contacted(folder)["KL-0008"] == "2026-11-28 14:05"
    code, out, _ = alumni(capsys, "uncertain")
    assert (code, out.splitlines()[0]) == (
        0,
        "No message of unknown fate: every message in "
        "the send journal was sent, failed, or waits for "
        "the next run.",
    )


def rapporterad(folder: Path) -> dict[str, object]:
    ws = load_workbook(folder / "alumni.xlsx")["Kontaktlogg"]
    rows = list(ws.iter_rows(values_only=True))
    column = rows[0].index("Rapporterad")
    return {r[0]: r[column] for r in rows[1:]}


def test_a_notice_of_unknown_fate_is_listed_held_back_and_resent_only_when_asked(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    smtp_server.drop_connection(at_message=1, stage="DATA", keep=True)
    code, out, _ = alumni(capsys, "daily", "--send")
    assert code == 1
    uncertain = [line for line in out.splitlines() if line.startswith("  Uncertain: ")]
    assert uncertain == [f"  Uncertain: breach notice to Elin Sjöström — {HINT}"]
    assert "  Notices: sent 6, sent before 0, failed 0, later 0, uncertain 1." in out
    # The chair's notice of the same breach went; the breach is reported once both did.
    assert rapporterad(folder)["KL-0003"] is None
    assert rapporterad(folder)["KL-0004"] == "2026-11-28 14:05"

    smtp_server.reset()
    code, out, _ = alumni(capsys, "overdue", "--send")
    assert code == 1 and smtp_server.messages == []
    assert f"  Uncertain: breach notice to Elin Sjöström — {HINT}" in out.splitlines()

    code, out, _ = alumni(capsys, "uncertain")
    assert (
        "  breach:KL-0003:person  breach notice to Elin Sjöström, tried 2026-11-28 14:05 CET" in out
    )
    assert "      if it did not arrive: alumni overdue --send --resend-uncertain" in out

    code, out, _ = alumni(capsys, "overdue", "--send", "--resend-uncertain")
    assert code == 0 and "Uncertain: " not in out
    assert received_by(smtp_server) == ["Elin Sjöström"]
    assert rapporterad(folder)["KL-0003"] == "2026-11-28 14:05"
    smtp_server.reset()
    assert alumni(capsys, "overdue", "--send", "--resend-uncertain")[0] == 0
    assert smtp_server.messages == []


def test_the_chair_confirms_what_arrived_and_it_is_never_sent_again(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    smtp_server.drop_connection(at_message=2, stage="DATA", keep=True)
    assert alumni(capsys, "invite", "--send")[0] == 1
    code, out, _ = alumni(capsys, "uncertain")
    assert "  invite:AK-0005  invitation to Viktor Strömberg, tried 2026-11-28 14:05 CET" in out

    # As a person types it: the short ID, another case.
    code, out, _ = alumni(capsys, "uncertain", "--arrived", "Invite:ak-5")
    assert code == 0
    assert out.splitlines() == [
        "Recorded as arrived (never sent again): invite:AK-0005 invitation to Viktor Strömberg",
        "No message of unknown fate: every message in the send journal was sent, failed, or "
        "waits for the next run.",
    ]
    entries = Journal(folder / "sent-journal.jsonl").entries()
    arrived = [e for e in entries.values() if e.key.startswith("invite:AK-0005:")]
    assert [(e.state, e.reason) for e in arrived] == [(SENT, "the chair confirmed it arrived")]

    smtp_server.reset()
    code, out, _ = alumni(capsys, "invite", "--send", "--resend-uncertain")
    assert code == 0 and smtp_server.messages == []
    ws = load_workbook(folder / "alumni.xlsx")["Avgångsklass"]
    status = {r[1]: r[6] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert status["Viktor Strömberg"] == "skickad"


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("invite:AK-0001", "--arrived invite:AK-0001: no uncertain message has that reference"),
        ("contact:KL-0008", "--arrived contact:KL-0008: no uncertain message has that reference"),
    ],
)
def test_a_reference_to_no_uncertain_message_records_nothing(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    ref: str,
    says: str,
) -> None:
    smtp_server.drop_connection(at_message=2, stage="DATA", keep=True)
    alumni(capsys, "invite", "--send")
    before = (folder / "sent-journal.jsonl").read_bytes()
    code, out, err = alumni(capsys, "uncertain", "--arrived", ref)
    assert code == 2 and out == ""
    assert err.startswith(f"alumni: {says}")
    assert err.rstrip().endswith("Nothing was recorded.")
    assert (folder / "sent-journal.jsonl").read_bytes() == before


def test_a_notice_template_that_does_not_render_stops_only_its_own_notices(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    """Every notice is rendered before the first is sent: a typo in one template keeps its
    notices back (a problem, exit 1) and the others go out."""
    shutil.copytree(BUNDLED_TEMPLATES, folder / "mallar")
    broken = folder / "mallar" / "breach_notice.sv.j2"
    broken.write_text(broken.read_text(encoding="utf-8") + "{{ typo(", encoding="utf-8")
    write_config(folder, smtp_server, templates="mallar")
    code, out, _ = alumni(capsys, "daily", "--send")
    assert code == 1
    assert "  Notices: sent 3, sent before 0, failed 0, later 0, uncertain 0." in out
    assert sorted(received_by(smtp_server)) == ["Björn Ångström", "Märta Ek", "Åsa Öberg-Lind"]
    not_sent = [line for line in out.splitlines() if "was not sent" in line]
    assert len(not_sent) == 4 and all("breach_notice" in line for line in not_sent)
    assert rapporterad(folder)["KL-0003"] is None  # still due: sent once the template is fixed

    shutil.copy(BUNDLED_TEMPLATES / "breach_notice.sv.j2", broken)
    smtp_server.reset()
    assert alumni(capsys, "daily", "--send")[0] == 0
    assert len(smtp_server.messages) == 4
    assert rapporterad(folder)["KL-0003"] == "2026-11-28 14:05"
