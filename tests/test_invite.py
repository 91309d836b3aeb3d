"""`alumni invite` (§3.1): dry run by default, every graduate exactly once, refusals recorded."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from alumni.cli import run
from alumni.config import load_config
from alumni.jobs import invite as job
from alumni.mail.batch import Sending
from alumni.mail.outbox import OutboxMailer
from alumni.mail.smtp import SmtpMailer
from alumni.rules import invitations as rules
from alumni.sheet.xlsx import XlsxStore
from tests.fakes.smtp_server import PASSWORD, USERNAME, FakeSmtpServer, Received
from tests.helpers import COMMITTEE, NOW, SIGNUP_LINK, alumni, demo_folder, write_config

TO_SEND = [
    "Klara Nordén",
    "Viktor Strömberg",
    "Maja Fält",
    "Hugo Dahlgård",
    "Agnes Öhman",
    "Filip Järvinen",
]


@pytest.fixture
def folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    demo_folder(tmp_path, monkeypatch)
    capsys.readouterr()
    return tmp_path


def statuses(folder: Path) -> dict[str, tuple[Any, Any]]:
    ws = load_workbook(folder / "alumni.xlsx")["Avgångsklass"]
    return {r[1]: (r[5], r[6]) for r in ws.iter_rows(min_row=2, values_only=True) if r[3] == 2026}


def received_by(server: FakeSmtpServer) -> list[str]:
    return [str(m.message["To"].addresses[0].display_name) for m in server.messages]


def set_cell(folder: Path, ref: str, value: Any) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    book["Avgångsklass"][ref] = value
    book.save(folder / "alumni.xlsx")


def test_a_dry_run_shows_the_first_message_and_sends_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    before = (folder / "alumni.xlsx").read_bytes()
    journal = (folder / "sent-journal.jsonl").read_bytes()  # the demo's, started by init
    code, out, _ = alumni(capsys, "invite")
    lines = out.splitlines()
    assert code == 0
    assert (
        lines[0]
        == "Invitations for 2026: 9 graduates in Avgångsklass, 3 already invited, 6 to send."
    )
    assert (
        lines[2]
        == f"The first message, as it would go out through {smtp_server.host}:{smtp_server.port}:"
    )
    assert "To: Klara Nordén <k…@student.example.org>" in lines  # names, never whole addresses
    assert "Subject: Inbjudan till I-sektionens alumnnätverk på LinkedIn" in lines
    assert "Hej Klara Nordén," in lines
    assert lines[-1] == "Dry run: nothing was sent. Run `alumni invite --send` to send them."
    assert smtp_server.messages == [] and smtp_server.connections == 0
    assert (folder / "alumni.xlsx").read_bytes() == before
    assert (folder / "sent-journal.jsonl").read_bytes() == journal


def test_send_delivers_each_invitation_once_and_records_it(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 0
    assert out.splitlines()[-1] == "Sent 6, failed 0, uncertain 0, skipped 0."
    assert received_by(smtp_server) == TO_SEND
    assert smtp_server.connections == 1
    first = smtp_server.messages[0].message
    assert str(first["From"]) == f'"Alumniutskottet, I-sektionen" <{COMMITTEE}>'
    assert first["From"].addresses[0].display_name == "Alumniutskottet, I-sektionen"
    assert first["Date"] and first["Message-ID"].endswith("@sektionen.se>")
    text = first.get_body(("plain",)).get_content()
    assert "Hej Klara Nordén," in text and SIGNUP_LINK in text
    assert "Med vänliga hälsningar" in text
    assert all(statuses(folder)[name] == ("2026-11-28 14:05", "skickad") for name in TO_SEND)

    code, out, _ = alumni(capsys, "invite", "--send")
    assert (code, len(smtp_server.messages)) == (0, 6)
    assert out.splitlines()[0].endswith("9 already invited, 0 to send.")


def test_english_rows_get_the_english_template(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    set_cell(folder, "E5", "en")  # Klara Nordén
    alumni(capsys, "invite", "--send", "--limit", "1")
    message = smtp_server.messages[0].message
    assert message["Subject"] == "Invitation to the I-sektionen alumni network on LinkedIn"
    assert "Dear Klara Nordén," in message.get_body(("plain",)).get_content()


def test_bad_rows_stop_the_run_before_anything_is_sent(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    set_cell(folder, "C5", None)
    set_cell(folder, "E6", "tyska")
    before = (folder / "alumni.xlsx").read_bytes()
    code, _, err = alumni(capsys, "invite", "--send")
    assert code == 1
    assert err == (
        "alumni: nothing was sent: 2 rows cannot be invited as they are:\n"
        "  Avgångsklass!C5: Klara Nordén: no e-mail address — correct it before sending\n"
        "  Avgångsklass!E6: the invitation list did not judge this row: 'tyska' is not a "
        "language the templates have — write sv or en; until then the row is left as it is\n"
    )
    assert smtp_server.messages == []
    assert (folder / "alumni.xlsx").read_bytes() == before


def test_an_undefined_template_variable_stops_the_run(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    templates = folder / "mallar"
    templates.mkdir()
    for lang in ("sv", "en"):
        (templates / f"graduation_invite.{lang}.j2").write_text(
            "{% block subject %}Inbjudan{% endblock %}{% block text %}Hej {{ nmae }}{% endblock %}"
        )
    write_config(folder, smtp_server, templates="mallar")
    code, _, err = alumni(capsys, "invite", "--send")
    assert code == 1 and "'nmae' is undefined" in err
    assert smtp_server.messages == []


def test_names_cannot_inject_headers_or_html(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    set_cell(folder, "B5", "Klara <b>Nordén</b>\r\nBcc: evil@example.org")
    alumni(capsys, "invite", "--send", "--limit", "1")
    received = smtp_server.messages[0]
    assert received.rcpt_tos == ["klara.norden@student.example.org"]
    assert received.message["Bcc"] is None
    html = received.message.get_body(("html",)).get_content()
    assert "&lt;b&gt;Nordén&lt;/b&gt;" in html and "<b>Nordén</b>" not in html


def test_a_refused_address_is_recorded_and_the_run_goes_on(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    smtp_server.refuse("viktor.stromberg@example.org")
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 1
    assert (
        "  Failed: Viktor Strömberg: 550 5.1.1 User unknown — correct the address in Avgångsklass; the next run tries it again."
        in out.splitlines()
    )
    assert statuses(folder)["Viktor Strömberg"] == (
        "2026-11-28 14:05",
        "misslyckad: 550 5.1.1 User unknown",
    )
    assert len(smtp_server.messages) == 5

    smtp_server.reset()
    assert alumni(capsys, "invite", "--send")[0] == 1  # not tried again; still to correct
    assert smtp_server.messages == []

    set_cell(folder, "C6", "viktor.s@example.org")
    assert alumni(capsys, "invite", "--send")[0] == 0
    assert received_by(smtp_server) == ["Viktor Strömberg"]
    assert statuses(folder)["Viktor Strömberg"][1] == "skickad"


def test_a_server_that_stops_taking_mail_mid_run_is_named_with_what_went(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)

    def refuse_after_the_second(received: Received) -> None:
        if len(smtp_server.messages) == 1:  # the second is being taken now
            smtp_server.refuse_sender(553, "5.7.1 Sender not allowed")

    smtp_server.on_data(refuse_after_the_second)
    before = statuses(folder)
    code, _, err = alumni(capsys, "invite", "--send")

    assert code == 2
    went = received_by(smtp_server)
    assert len(went) == 2
    stopped = re.search(
        r"refused the sender .*\. The run stopped after 2 message\(s\) went out \(the sheet shows "
        r"them\); (.+)'s and those after it were not sent: the next run sends them\.\n$",
        err,
    )
    assert stopped is not None, err
    assert stopped[1] not in went
    marked = [name for name, row in statuses(folder).items() if row != before[name]]
    assert sorted(marked) == sorted(went)  # the sheet shows the two that went, no others


def test_a_server_that_asks_to_wait_gets_the_message_once_later(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    smtp_server.defer(1)
    assert alumni(capsys, "invite", "--send")[0] == 0
    assert received_by(smtp_server) == TO_SEND


def test_an_outcome_that_is_unknown_is_marked_uncertain_and_not_sent_again(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    smtp_server.drop_connection(at_message=2, stage="DATA", keep=True)
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 1
    assert (
        "  Uncertain: Viktor Strömberg — the message may have gone out; ask them, then use --resend-uncertain if it did not (see `alumni uncertain`)."
        in out
    )
    assert statuses(folder)["Viktor Strömberg"][1] == "osäker"
    assert (
        received_by(smtp_server) == TO_SEND
    )  # it did arrive, and the rest went on a new connection

    smtp_server.reset()
    code, out, _ = alumni(capsys, "invite")
    assert (
        "  Uncertain (osäker; not sent again without --resend-uncertain): Viktor Strömberg" in out
    )
    assert alumni(capsys, "invite", "--send")[0] == 1 and smtp_server.messages == []
    assert alumni(capsys, "invite", "--send", "--resend-uncertain")[0] == 0
    assert received_by(smtp_server) == ["Viktor Strömberg"]
    assert statuses(folder)["Viktor Strömberg"][1] == "skickad"


def test_limit_and_daily_cap_stop_cleanly_and_the_next_run_goes_on(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server, daily_cap=4)
    assert alumni(capsys, "invite", "--send", "--limit", "2")[0] == 0
    assert received_by(smtp_server) == TO_SEND[:2]
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 0
    assert received_by(smtp_server) == TO_SEND[:4]
    assert (
        "Stopped: the daily cap of 4 messages in 24 hours is reached; run again tomorrow to send the rest."
        in out
    )
    assert run(["--now", "2026-11-29 14:06", "--for-real", "invite", "--send"]) == 0
    assert received_by(smtp_server) == TO_SEND


def test_test_to_sends_one_sample_and_changes_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    before = (folder / "alumni.xlsx").read_bytes()
    journal = (folder / "sent-journal.jsonl").read_bytes()  # the demo's, started by init
    code, out, _ = alumni(capsys, "invite", "--test-to", "ordforande@example.org")
    assert code == 0 and out.startswith("Sent one sample invitation to o…@example.org")
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ordforande@example.org"]
    assert (
        received.message["Subject"] == "[Test] Inbjudan till I-sektionens alumnnätverk på LinkedIn"
    )
    assert (folder / "alumni.xlsx").read_bytes() == before
    assert (folder / "sent-journal.jsonl").read_bytes() == journal


def test_starttls_with_login(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    tls_smtp_server: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = tls_smtp_server
    assert server.tls is not None
    (folder / "config.toml").write_text(
        f'[mail]\nbackend = "smtp"\nrate_per_minute = 0\nfrom_address = "{COMMITTEE}"\n'
        f'[smtp]\nhost = "{server.host}"\n'
        f'port = {server.port}\nsecurity = "starttls"\nusername = "{USERNAME}"\n'
        f'ca_file = "{server.tls.ca_file}"\n[invite]\nsignup_link = "{SIGNUP_LINK}"\n'
    )
    monkeypatch.setenv("ALUMNI_SMTP_PASSWORD", PASSWORD)
    assert alumni(capsys, "invite", "--send", "--limit", "5")[0] == 0
    assert received_by(server) == TO_SEND[:5] and server.logins == [USERNAME]

    monkeypatch.setenv("ALUMNI_SMTP_PASSWORD", "fel-lösenord")
    code, out, err = alumni(capsys, "invite", "--send")
    assert code == 2 and "ALUMNI_SMTP_PASSWORD" in err
    assert "fel-lösenord" not in out + err
    assert statuses(folder)["Filip Järvinen"] == (None, None)  # not sent, not marked

    monkeypatch.setenv("ALUMNI_SMTP_PASSWORD", PASSWORD)
    assert alumni(capsys, "invite", "--send")[0] == 0
    assert received_by(server) == TO_SEND


def test_the_outbox_writes_one_openable_file_per_message(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(folder)
    assert alumni(capsys, "invite", "--send")[0] == 0
    files = sorted((folder / "outbox").glob("*.eml"))
    assert len(files) == 6
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name in TO_SEND


@pytest.mark.parametrize(("backend", "expected"), [("smtp", [2.0, 2.0]), ("outbox", [])])
def test_the_pace_is_kept_between_messages_sent_to_a_server(
    folder: Path, smtp_server: FakeSmtpServer, backend: str, expected: list[float]
) -> None:
    write_config(folder, rate_per_minute=30)
    config = load_config(None, cwd=folder)
    store = XlsxStore(config.local.workbook)
    now = pd.Timestamp(NOW, tz="Europe/Stockholm")
    clock = [0.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(round(seconds, 3))
        clock[0] += seconds

    mailer = (
        OutboxMailer(config.mail.outbox)
        if backend == "outbox"
        else SmtpMailer(smtp_server.host, smtp_server.port, "none", "", "")
    )
    sending = Sending(config, lambda: now, mailer=mailer, sleep=sleep, monotonic=lambda: clock[0])
    with sending.journal:
        job.run(config, store, now, sending=sending, limit=3)
    assert pauses == expected


def test_ctrl_c_while_sending_records_what_went_and_marks_the_one_in_flight(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    count = [0]

    def interrupt(message: object) -> None:
        count[0] += 1
        if count[0] == 3:  # while the third message waits for the server's answer
            os.kill(os.getpid(), signal.SIGINT)

    smtp_server.on_data(interrupt)
    code, out, _ = alumni(capsys, "invite", "--send")
    assert code == 1
    assert "Interrupted: what was sent is recorded; run again to send the rest." in out
    assert "Sent 2, failed 0, uncertain 1, skipped 3." in out
    sheet = statuses(folder)
    assert [sheet[n][1] for n in TO_SEND] == ["skickad", "skickad", "osäker", None, None, None]

    smtp_server.reset()
    assert alumni(capsys, "invite", "--send")[0] == 1  # the uncertain one waits for the chair
    assert received_by(smtp_server) == TO_SEND[3:]


def test_the_sheet_is_updated_during_a_long_run_not_only_at_its_end(folder: Path) -> None:
    write_config(folder)
    config = load_config(None, cwd=folder)
    store = XlsxStore(config.local.workbook)
    now = pd.Timestamp(NOW, tz="Europe/Stockholm")
    writes: list[int] = []
    apply = store.apply

    def counting_apply(changes: Any) -> Any:
        writes.append(changes.cell_count())
        return apply(changes)

    store.apply = counting_apply  # type: ignore[method-assign]
    clock = iter(range(0, 10_000, 20))  # 20 s pass per look at the clock
    sending = Sending(
        config,
        lambda: now,
        mailer=OutboxMailer(config.mail.outbox),
        monotonic=lambda: float(next(clock)),
    )
    with sending.journal:
        job.run(config, store, now, sending=sending)
    assert len(writes) >= 3 and sum(writes) == 12  # Inbjuden and status for 6, in batches


def test_another_year_is_chosen_with_year(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(folder)
    code, out, _ = alumni(capsys, "invite", "--year", "2025")
    assert code == 0
    assert (
        out.splitlines()[0]
        == "Invitations for 2025: 3 graduates in Avgångsklass, 0 already invited, 3 to send."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--test-to", "inte en adress"], "--test-to: "),
        (["--limit", "0"], "--limit must be 1 or more"),
        (["--year", "tjugo"], "invalid int value: 'tjugo'"),
    ],
)
def test_wrong_options_exit_2_with_a_message(
    folder: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write_config(folder)
    code, _, err = alumni(capsys, "invite", *args)
    assert code == 2 and message in err


# --- unreadable is not "no", a missing column is not an empty one --------------------------------


def rename_header(folder: Path, column: str) -> None:
    book = load_workbook(folder / "alumni.xlsx")
    next(c for c in book["Avgångsklass"][1] if c.value == column).value = "Okänd rubrik"
    book.save(folder / "alumni.xlsx")


@pytest.mark.parametrize(
    ("cell", "typed", "what"),
    [
        # Klara Nordén (row 5): was she invited "i maj"? Sending again could mail her twice.
        ("F5", "i maj", "'i maj' is not a date/time — write it as 2026-11-28 14:05"),
        # Her year cannot be read: she may be of this year, and would silently be left out.
        ("D5", "tjugosex", "'tjugosex' is not a year — write four digits, e.g. 2026"),
        ("C5", "klara.norden(at)student", None),
    ],
)
def test_a_graduate_with_a_cell_the_list_cannot_read_stops_the_run(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    cell: str,
    typed: str,
    what: str | None,
) -> None:
    write_config(folder, smtp_server)
    set_cell(folder, cell, typed)
    before = (folder / "alumni.xlsx").read_bytes()
    code, _, err = alumni(capsys, "invite", "--send")
    assert code == 1
    # Addresses are shortened in the output, the example too.
    what = what or f"'{typed}' is not an e-mail address — correct it, e.g. n…@exempel.se"
    assert err == (
        "alumni: nothing was sent: 1 row cannot be invited as they are:\n"
        f"  Avgångsklass!{cell}: the invitation list did not judge this row: {what}; "
        "until then the row is left as it is\n"
    )
    assert smtp_server.messages == []
    assert (folder / "alumni.xlsx").read_bytes() == before


def test_an_unreadable_cell_in_another_years_row_does_not_stop_this_years_run(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cell(folder, "F11", "i maj")  # Alva Bergkvist, 2025
    code, out, err = alumni(capsys, "invite")
    assert code == 0
    assert "nothing was sent" not in err
    assert "Alva Bergkvist" not in out + err


def test_a_time_in_inbjuden_without_a_status_is_an_invitation_already_sent(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    write_config(folder, smtp_server)
    set_cell(folder, "F5", "2026-11-20 10:00")  # Klara Nordén, recorded by hand
    code, _, err = alumni(capsys, "invite", "--send")
    assert (code, err) == (0, "")
    assert received_by(smtp_server) == [n for n in TO_SEND if n != "Klara Nordén"]


@pytest.mark.parametrize(
    "column", ["ID", "Namn", "E-post", "Examensår", "Språk", "Inbjuden", "Inbjudningsstatus"]
)
def test_without_a_header_the_list_reads_nobody_is_invited(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer, column: str
) -> None:
    # Without Inbjudningsstatus the three graduates invited already would look new.
    write_config(folder, smtp_server)
    rename_header(folder, column)
    before = (folder / "alumni.xlsx").read_bytes()
    code, _, err = alumni(capsys, "invite", "--send")
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "alumni: nothing was sent: the invitation list could not be made:"
    assert lines[1].startswith("  Avgångsklass!")
    assert (
        f": the invitation list judged nothing on this tab: the header '{column}' is missing — "
        in lines[1]
    )
    assert len(lines) == 2
    assert smtp_server.messages == []
    assert (folder / "alumni.xlsx").read_bytes() == before


def test_the_invitation_list_declares_every_column_it_reads() -> None:
    assert rules.NEEDS == {
        "Avgångsklass": (
            "ID",
            "Namn",
            "E-post",
            "Examensår",
            "Språk",
            "Inbjuden",
            "Inbjudningsstatus",
        )
    }
