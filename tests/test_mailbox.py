"""`alumni mailbox` and the daily run: reply times logged from a real mailbox (Dovecot)."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from alumni.cli import run
from tests.fakes.dovecot import Dovecot
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW

TZ = "Europe/Stockholm"
START = pd.Timestamp(NOW, tz=TZ)
JOHAN = "KL-0009"


def at(hours: float) -> pd.Timestamp:
    return START + pd.Timedelta(hours=hours)


def alumni_at(capsys: pytest.CaptureFixture[str], hours: float, *args: str) -> tuple[int, str]:
    """`alumni --now START+hours --for-real ARGS`: a real run at that moment of the story."""
    code = run(["--now", f"{at(hours):%Y-%m-%d %H:%M}", "--for-real", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def with_mailbox(folder: Path, dovecot: Dovecot, **extra: Any) -> None:
    """The test config, reading `dovecot`'s INBOX and Sent."""
    lines = [
        "[imap]",
        f'host = "{dovecot.host}"',
        f"port = {dovecot.port}",
        'security = "plain"',
        f'username = "{dovecot.user}"',
        'folders = ["INBOX", "Sent"]',
        *(f"{k} = {json.dumps(v)}" for k, v in extra.items()),
    ]
    config = folder / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n".join(lines) + "\n", "utf-8")


@pytest.fixture
def mailbox(folder: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    with_mailbox(folder, dovecot)
    monkeypatch.setenv("ALUMNI_IMAP_PASSWORD", dovecot.password)
    return dovecot


def log_row(folder: Path, row_id: str) -> dict[str, Any]:
    ws = load_workbook(folder / "alumni.xlsx")["Kontaktlogg"]
    rows = list(ws.iter_rows(values_only=True))
    return next(dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[0] == row_id)


def reply(
    to_message: EmailMessage,
    sender: tuple[str, str],
    when: pd.Timestamp,
    *,
    references: list[str] | None = None,
    subject_prefix: str = "SV: ",
) -> EmailMessage:
    """A reply as a mail program writes it: In-Reply-To and References, a prefixed subject."""
    msg = EmailMessage()
    msg["From"] = f"{sender[0]} <{sender[1]}>"
    msg["To"] = str(to_message["Reply-To"] or to_message["From"])
    msg["Subject"] = subject_prefix + str(to_message["Subject"])
    msg["Date"] = format_datetime(when.to_pydatetime())
    msg["Message-ID"] = make_msgid(domain="mail.example")
    parent = str(to_message["Message-ID"])
    msg["In-Reply-To"] = parent
    msg["References"] = " ".join([*(references or []), parent])
    msg.set_content("Hej! Gärna, hör av er.\n\n> citerad text ur det första brevet")
    return msg


def deliver(dovecot: Dovecot, folder: str, msg: EmailMessage, when: pd.Timestamp) -> None:
    dovecot.deliver(folder, bytes(msg), internaldate=when.to_pydatetime())


def first_contact(smtp_server: FakeSmtpServer, name: str) -> EmailMessage:
    return next(
        m.message
        for m in smtp_server.messages
        if str(m.message["To"].addresses[0].display_name) == name
    )


def first_contact_to_johan(
    capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> tuple[EmailMessage, str]:
    """The story's start: the votes select the alumni, the first contacts go out through the
    SMTP server; Johan's message and his address."""
    alumni_at(capsys, 0, "votes")
    alumni_at(capsys, 0, "contact", "--send")
    first = first_contact(smtp_server, "Johan Åkerlund")
    return first, str(first["To"].addresses[0].addr_spec)


def answered_in_time(
    capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer, mailbox: Dovecot
) -> None:
    """Johan replies two hours after his first contact; the contact person answers from her
    own address at ten hours, and her answer lies in Sent. Nobody typed either time."""
    first, johan = first_contact_to_johan(capsys, smtp_server)
    theirs = reply(first, ("Johan", johan), at(2))
    deliver(mailbox, "INBOX", theirs, at(2))
    ours = reply(theirs, ("Åsa Öberg-Lind", "asa.oberg-lind@example.org"), at(10))
    deliver(mailbox, "Sent", ours, at(10))


def test_the_whole_loop_contact_reply_overdue_answer(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The first contact goes out through the SMTP server; Gmail-style, its copy lies in Sent.
    assert alumni_at(capsys, 0, "votes")[0] == 0
    code, out = alumni_at(capsys, 0, "contact", "--send")
    assert code == 0 and "Sent 2" in out
    first = first_contact(smtp_server, "Johan Åkerlund")
    deliver(mailbox, "Sent", first, at(0))
    johan = str(first["To"].addresses[0].addr_spec)

    # Two hours later Johan answers (reply all: to the contact person and the committee).
    answer_to = reply(first, ("Johan Åkerlund", johan), at(2))
    deliver(mailbox, "INBOX", answer_to, at(2) + pd.Timedelta(seconds=20))
    code, out = alumni_at(capsys, 3, "daily")
    assert code == 0, out
    row = log_row(folder, JOHAN)
    assert row["Alumnen svarade"] == f"{at(2):%Y-%m-%d %H:%M}"
    assert row["Vi svarade"] is None and row["Status"] == "Svar krävs"
    assert "Mailbox: 2 new messages, 2 in contact threads, 1 time logged." in out
    assert f"Logged: {JOHAN} Alumnen svarade {at(2):%Y-%m-%d %H:%M} (from the Date header)" in out

    # Nobody answers within 24 hours: the row is late.
    code, out = alumni_at(capsys, 27, "daily")
    assert log_row(folder, JOHAN)["Status"] == "Försenad"
    assert "Mailbox: 0 new messages" in out

    # The contact person answers with "reply all" from her own address; it lies in Sent.
    person = ("Åsa Öberg-Lind", "asa.oberg-lind@example.org")
    ours = reply(answer_to, person, at(28), references=[str(first["Message-ID"])])
    deliver(mailbox, "Sent", ours, at(28))
    code, out = alumni_at(capsys, 29, "daily")
    row = log_row(folder, JOHAN)
    assert row["Vi svarade"] == f"{at(28):%Y-%m-%d %H:%M}"
    assert row["Status"] == "Besvarad sent"
    assert f"Logged: {JOHAN} Vi svarade {at(28):%Y-%m-%d %H:%M} by Åsa Öberg-Lind" in out

    # Running again reads nothing new and writes nothing.
    before = (folder / "alumni.xlsx").read_bytes()
    code, out = alumni_at(capsys, 29.1, "mailbox")
    assert code == 0 and "0 new messages, 0 in contact threads, 0 times logged" in out
    assert (folder / "alumni.xlsx").read_bytes() == before


def test_the_mailbox_is_never_changed_and_bodies_are_never_kept(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, johan = first_contact_to_johan(capsys, smtp_server)
    deliver(mailbox, "INBOX", reply(first, ("Johan", johan), at(2)), at(2))
    assert alumni_at(capsys, 3, "mailbox")[0] == 0
    # Still unseen: read with EXAMINE and BODY.PEEK, no flag set.
    assert len(mailbox.files("INBOX", "new")) == 1
    assert not any("STORE" in c.upper() or "EXPUNGE" in c.upper() for c in mailbox.commands())
    state = folder / "mailbox-state.json"
    kept = state.read_text(encoding="utf-8")
    assert "citerad text" not in kept and johan not in kept and "Alumniutskottet" not in kept
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600


def test_a_typed_time_is_kept_and_a_contradiction_is_named_by_cell(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, johan = first_contact_to_johan(capsys, smtp_server)
    deliver(mailbox, "INBOX", reply(first, ("Johan", johan), at(2)), at(2))
    book = load_workbook(folder / "alumni.xlsx")
    ws = book["Kontaktlogg"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == JOHAN)
    typed = f"{at(6):%Y-%m-%d %H:%M}"
    row[header.index("Alumnen svarade")].value = typed
    book.save(folder / "alumni.xlsx")

    code, out = alumni_at(capsys, 7, "mailbox")
    assert code == 1
    cell = f"Kontaktlogg!{chr(ord('A') + header.index('Alumnen svarade'))}{row[0].row}"
    assert (
        f"{cell}: {JOHAN}: Alumnen svarade says {typed}, but the mailbox shows "
        f"{at(2):%Y-%m-%d %H:%M} (Date-huvudet) — correct the time, or empty the cell" in out
    )
    assert log_row(folder, JOHAN)["Alumnen svarade"] == typed


def test_a_mailbox_that_cannot_be_read_stops_the_daily_run_before_it_judges(
    folder: Path,
    mailbox: Dovecot,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALUMNI_IMAP_PASSWORD", "fel-lösenord")
    before = (folder / "alumni.xlsx").read_bytes()
    code, out = alumni_at(capsys, 3, "daily")
    assert code == 2
    assert "fel-lösenord" not in out
    assert (folder / "alumni.xlsx").read_bytes() == before


def test_a_sent_folder_under_another_name_stops_the_deadline_check_before_it_judges(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Outlook in Swedish says "Skickade objekt"; this server says "Sent". Read without the
    # answers, Johan's reply would stand unanswered: a breach reported that was none.
    config = folder / "config.toml"
    text = config.read_text("utf-8").replace('"INBOX", "Sent"', '"INBOX", "Skickade objekt"')
    config.write_text(text, "utf-8")
    answered_in_time(capsys, smtp_server, mailbox)
    sent_before = len(smtp_server.messages)
    before = (folder / "alumni.xlsx").read_bytes()
    code, out = alumni_at(capsys, 30, "overdue", "--send")
    assert code == 2
    assert out.startswith("alumni: the folder 'Skickade objekt' cannot be opened on the IMAP ")
    assert "The server's folders: INBOX, Sent (its sent mail)." in out
    assert len(smtp_server.messages) == sent_before
    assert (folder / "alumni.xlsx").read_bytes() == before
    assert not (folder / "mailbox-state.json").exists()


def test_a_damaged_state_file_stops_with_what_to_do(
    folder: Path, mailbox: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "mailbox-state.json").write_text('{"version": 1, "folders": ', "utf-8")
    code, out = alumni_at(capsys, 3, "mailbox")
    assert code == 2
    assert "mailbox-state.json is damaged or of another version — move it aside" in out


def test_a_trial_run_reads_but_remembers_nothing(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, johan = first_contact_to_johan(capsys, smtp_server)
    deliver(mailbox, "INBOX", reply(first, ("Johan", johan), at(2)), at(2))
    code = run(["--now", f"{at(3):%Y-%m-%d %H:%M}", "mailbox"])
    out = capsys.readouterr().out
    assert code == 0 and "1 time logged" in out and "nothing is written" in out
    assert not (folder / "mailbox-state.json").exists()
    assert log_row(folder, JOHAN)["Alumnen svarade"] is None
    # The real run still finds the reply.
    assert alumni_at(capsys, 3, "mailbox")[0] == 0
    assert log_row(folder, JOHAN)["Alumnen svarade"] == f"{at(2):%Y-%m-%d %H:%M}"


def test_a_date_nobody_could_have_written_gives_way_to_the_arrival_time(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, johan = first_contact_to_johan(capsys, smtp_server)
    msg = reply(first, ("Johan", johan), at(2))
    msg.replace_header("Date", format_datetime(datetime(1980, 1, 1).astimezone()))
    deliver(mailbox, "INBOX", msg, at(4))
    code, out = alumni_at(capsys, 5, "mailbox")
    assert code == 0
    assert f"Alumnen svarade {at(4):%Y-%m-%d %H:%M} (from the server's arrival time)" in out


def styled_reply(style: str, first: EmailMessage, johan: str, when: pd.Timestamp) -> EmailMessage:
    """A reply as different mail programs and people write it."""
    msg = EmailMessage()
    msg["Date"] = format_datetime(when.to_pydatetime())
    msg["Message-ID"] = make_msgid(domain="mail.example")
    msg["To"] = str(first["Reply-To"])
    first_id = str(first["Message-ID"])
    forward_id = make_msgid(domain="corp.example")
    if style == "gmail":
        msg["From"] = f"Johan Åkerlund <{johan}>"
        msg["Subject"] = "Re: " + str(first["Subject"])
        msg["In-Reply-To"] = first_id
        msg["References"] = first_id
    elif style == "outlook, from his private address":
        msg["From"] = "Johan Åkerlund <johan.akerlund@privat.example>"
        msg["Subject"] = "SV: " + str(first["Subject"])
        msg["Thread-Topic"] = str(first["Subject"])
        msg["Thread-Index"] = "AdqYxSHX0dz1b2Jr4kKZ3bcfXl8yWQ=="
        msg["References"] = first_id  # Outlook often leaves out In-Reply-To
    elif style == "a colleague replying to his forward":
        msg["From"] = "Kollega <kollega@corp.example>"
        msg["Subject"] = "SV: VB: " + str(first["Subject"])
        msg["In-Reply-To"] = forward_id
        msg["References"] = f"{first_id} {forward_id}"
    elif style == "a forward that dropped the thread":
        msg["From"] = "Kollega <kollega@corp.example>"
        msg["Subject"] = "SV: VB: " + str(first["Subject"])
        msg["In-Reply-To"] = forward_id
        msg["References"] = forward_id
    msg.set_content("Hej, det låter intressant.")
    return msg


@pytest.mark.parametrize(
    ("style", "logged"),
    [
        ("gmail", True),
        ("outlook, from his private address", True),
        ("a colleague replying to his forward", True),
        ("a forward that dropped the thread", False),  # nothing ties it: never guessed
    ],
)
def test_replies_in_every_style_find_their_round_by_the_thread(
    style: str,
    logged: bool,
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, johan = first_contact_to_johan(capsys, smtp_server)
    deliver(mailbox, "INBOX", styled_reply(style, first, johan, at(2)), at(2))
    assert alumni_at(capsys, 3, "mailbox")[0] == 0
    expected = f"{at(2):%Y-%m-%d %H:%M}" if logged else None
    assert log_row(folder, JOHAN)["Alumnen svarade"] == expected


def test_a_renumbered_folder_is_read_again_whole_and_nothing_is_written_twice(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, johan = first_contact_to_johan(capsys, smtp_server)
    deliver(mailbox, "INBOX", reply(first, ("Johan", johan), at(2)), at(2))
    assert "1 time logged" in alumni_at(capsys, 3, "mailbox")[1]
    before = (folder / "alumni.xlsx").read_bytes()
    mailbox.set_uidvalidity("INBOX", mailbox.uidvalidity("INBOX") + 7)
    code, out = alumni_at(capsys, 4, "mailbox")
    assert code == 0 and "1 new message, 0 in contact threads, 0 times logged" in out
    assert (folder / "alumni.xlsx").read_bytes() == before


def test_the_hourly_deadline_check_reads_the_mailbox_before_it_judges(
    folder: Path,
    mailbox: Dovecot,
    smtp_server: FakeSmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # An answer sent in time but not yet logged must not be judged late: that would report a
    # false breach to the Näringslivsansvarig.
    answered_in_time(capsys, smtp_server, mailbox)
    code, out = alumni_at(capsys, 30, "overdue")
    assert code == 0, out
    assert "2 times logged" in out
    assert log_row(folder, JOHAN)["Status"] == "Besvarad i tid"
