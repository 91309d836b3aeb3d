"""Specifications of reading the committee's mailbox over IMAP (alumni.mail.imap), against a real
Dovecot: read-only, headers only, from where the last reading stopped."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import imapclient
import pytest

from alumni.errors import AlumniError
from alumni.mail import imap
from alumni.mail.imap import (
    FolderState,
    HeaderRecord,
    ImapFolderMissing,
    ImapSettings,
    ImapUnavailable,
    read_new,
)
from tests.fakes.dovecot import Dovecot, dovecot_executable
from tests.fakes.smtp_server import free_port

COMMITTEE = "alumni@sektionen.se"
ANNA = "anna.ek@example.com"
BODY_MARKER = "BODYMARKER-7f3a9c"  # in every body: must never reach a record
ARRIVED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
WELCOME = "Re: Välkommen till alumninätverket"


def message(
    n: int = 1,
    *,
    sender: str = ANNA,
    to: str = COMMITTEE,
    subject: str = "Hej",
    date_header: str | None = "Fri, 20 Nov 2026 10:30:00 +0100",
    extra: str = "",
) -> bytes:
    """A message as it lies in a mailbox, CRLF line ends, with BODY_MARKER in its body."""
    lines = [
        f"Message-ID: <m{n}@example.com>",
        f"From: Anna Ek <{sender}>",
        f"To: {to}",
        f"Subject: {subject}",
    ]
    if date_header is not None:
        lines.append(f"Date: {date_header}")
    if extra:
        lines.append(extra)
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
    lines += [f"Hej! {BODY_MARKER} nummer {n}.", ""]
    return "\r\n".join(lines).encode("utf-8")


def deliver_many(server: Dovecot, folder: str, numbers: range) -> None:
    for n in numbers:
        server.deliver(folder, message(n), internaldate=ARRIVED + timedelta(minutes=n))


def only(records: list[HeaderRecord]) -> HeaderRecord:
    assert len(records) == 1, records
    return records[0]


def ids(records: list[HeaderRecord]) -> list[str | None]:
    return [r.message_id for r in records]


# --- logging in ---------------------------------------------------------------------------------


def test_reads_a_message_over_plain_imap(dovecot: Dovecot) -> None:
    dovecot.deliver("INBOX", message(1), internaldate=ARRIVED)
    records, state, notes = read_new(dovecot.settings(folders=("INBOX",)), {}, since=None)
    record = only(records)
    assert record == HeaderRecord(
        folder="INBOX",
        uid=1,
        message_id="<m1@example.com>",
        in_reply_to=None,
        references=(),
        from_addr=ANNA,
        to_addrs=(COMMITTEE,),
        cc_addrs=(),
        subject="Hej",
        date=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        internaldate=ARRIVED,
        problem=None,
    )
    assert record.internaldate.utcoffset() == timedelta(0)
    assert state == {"INBOX": FolderState(dovecot.uidvalidity("INBOX"), 1)}
    assert notes == []


@pytest.mark.parametrize(("security", "port"), [("starttls", "port"), ("ssl", "ssl_port")])
def test_reads_over_tls_trusting_the_given_certificate_authority(
    tls_dovecot: Dovecot, security: str, port: str
) -> None:
    assert tls_dovecot.tls is not None
    tls_dovecot.deliver("INBOX", message(1))
    given = tls_dovecot.settings(
        security=security,
        port=getattr(tls_dovecot, port),
        ca_file=tls_dovecot.tls.ca_file,
        folders=("INBOX",),
    )
    records, _, _ = read_new(given, {}, since=None)
    assert ids(records) == ["<m1@example.com>"]


@pytest.mark.parametrize(
    ("security", "port", "says"),
    [
        ("ssl", "ssl_port", "certificate of the IMAP server .* is not trusted"),
        ("starttls", "port", "certificate of the IMAP server .* is not trusted"),
        ("ssl", "port", "failed while connecting .*SSL"),  # TLS to the STARTTLS port
        ("plain", "ssl_port", "failed while connecting .*TimeoutError"),  # no TLS to the TLS port
    ],
    ids=["ssl-untrusted", "starttls-untrusted", "ssl-to-starttls-port", "plain-to-ssl-port"],
)
def test_tls_that_cannot_be_trusted_or_does_not_match_is_unavailable(
    tls_dovecot: Dovecot, security: str, port: str, says: str
) -> None:
    # No ca_file: the throwaway certificate authority is not among the system's.
    given = tls_dovecot.settings(security=security, port=getattr(tls_dovecot, port), timeout=0.5)
    with pytest.raises(ImapUnavailable, match=says) as caught:
        read_new(given, {}, since=None)
    assert f"{tls_dovecot.host}:{getattr(tls_dovecot, port)}" in str(caught.value)


def test_starttls_on_a_server_without_it_is_unavailable(dovecot: Dovecot) -> None:
    with pytest.raises(ImapUnavailable, match="does not offer STARTTLS"):
        read_new(dovecot.settings(security="starttls"), {}, since=None)


@pytest.mark.parametrize("wrong", ["fel-lösenord-99", "wrong-password-99"], ids=["utf8", "ascii"])
def test_a_wrong_password_is_unavailable_and_the_message_keeps_the_password_out(
    dovecot: Dovecot, wrong: str
) -> None:
    with pytest.raises(ImapUnavailable) as caught:
        read_new(dovecot.settings(password=wrong), {}, since=None)
    text = str(caught.value)
    assert "refused the login for alumni" in text and f"{dovecot.host}:{dovecot.port}" in text
    assert wrong not in text and dovecot.password not in text
    assert isinstance(caught.value, AlumniError) and caught.value.exit_code == 2


def test_an_ascii_password_logs_in_too(tmp_path: Path) -> None:
    # The fixture's password has Swedish letters, which only AUTHENTICATE PLAIN carries.
    with Dovecot(tmp_path / "ascii", dovecot_executable(), password="plain-ascii-42") as server:
        server.deliver("INBOX", message(1))
        records, _, _ = read_new(server.settings(folders=("INBOX",)), {}, since=None)
    assert ids(records) == ["<m1@example.com>"]


def test_nothing_listening_is_unavailable() -> None:
    port = free_port()
    given = ImapSettings("127.0.0.1", port, "u", "p", "plain", ("INBOX",), 90, 2.0, None)
    with pytest.raises(ImapUnavailable, match=f"nothing answers at 127.0.0.1:{port}"):
        read_new(given, {}, since=None)


# --- what a record says -------------------------------------------------------------------------


@pytest.mark.parametrize("sent", ["Sent", "Skickade objekt", "Arkiv.Svar från kommittén"])
def test_reads_the_inbox_and_the_folder_of_sent_mail(dovecot: Dovecot, sent: str) -> None:
    dovecot.deliver("INBOX", message(1))
    reply = message(2, sender=COMMITTEE, to=ANNA, extra="In-Reply-To: <m1@example.com>")
    dovecot.deliver(sent, reply, flags="S")
    records, state, notes = read_new(dovecot.settings(folders=("INBOX", sent)), {}, since=None)
    assert [(r.folder, r.message_id, r.from_addr) for r in records] == [
        ("INBOX", "<m1@example.com>", ANNA),
        (sent, "<m2@example.com>", COMMITTEE),
    ]
    assert records[1].in_reply_to == "<m1@example.com>"
    assert set(state) == {"INBOX", sent} and notes == []


@pytest.mark.parametrize(
    ("header", "subject"),
    [
        ("=?utf-8?q?Re=3A_V=C3=A4lkommen_till_alumnin=C3=A4tverket?=", WELCOME),
        ("Re: =?UTF-8?B?VsOkbGtvbW1lbiB0aWxsIGFsdW1uaW7DpHR2ZXJrZXQ=?=", WELCOME),
        ("=?utf-8?q?Re=3A_V=C3=A4lkommen_till?=\r\n =?utf-8?q?_alumnin=C3=A4tverket?=", WELCOME),
        ("=?iso-8859-1?q?Tr=E4ff_i_Lule=E5?=", "Träff i Luleå"),
        (WELCOME, WELCOME),  # raw UTF-8, as some programs send it
        ("Ett långt ämne\r\n som viks över två rader", "Ett långt ämne som viks över två rader"),
    ],
    ids=["q-utf8", "b-utf8", "two-words-folded", "q-latin1", "raw-utf8", "folded"],
)
def test_the_subject_is_decoded(dovecot: Dovecot, header: str, subject: str) -> None:
    dovecot.deliver("INBOX", message(1, subject=header))
    record = only(read_new(dovecot.settings(), {}, since=None)[0])
    assert record.subject == subject and record.problem is None


def test_without_a_date_the_arrival_is_the_files_time(dovecot: Dovecot) -> None:
    dovecot.deliver("INBOX", message(1, date_header=None), internaldate=ARRIVED)
    record = only(read_new(dovecot.settings(), {}, since=None)[0])
    assert record.date is None and record.internaldate == ARRIVED and record.problem is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Fri, 20 Nov 2026 10:30:00 +0100", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("20 Nov 2026 10:30 -0000", datetime(2026, 11, 20, 10, 30, tzinfo=UTC)),  # zone unknown
        ("Fri, 20 Nov 2026 10:30:00 CET", datetime(2026, 11, 20, 10, 30, tzinfo=UTC)),
    ],
    ids=["offset", "zone-unknown", "zone-name"],  # RFC 5322: a zone it does not know is UTC
)
def test_the_date_header_is_an_aware_time(
    dovecot: Dovecot, header: str, expected: datetime
) -> None:
    dovecot.deliver("INBOX", message(1, date_header=header))
    record = only(read_new(dovecot.settings(), {}, since=None)[0])
    assert record.date == expected and record.date is not None and record.date.tzinfo is not None


@pytest.mark.parametrize("header", ["igår vid lunch", "Fri, 32 Nov 2026 10:30 +0100", "20261120"])
def test_a_malformed_date_is_none_with_a_problem(dovecot: Dovecot, header: str) -> None:
    dovecot.deliver("INBOX", message(1, date_header=header), internaldate=ARRIVED)
    record = only(read_new(dovecot.settings(), {}, since=None)[0])
    assert record.date is None and record.internaldate == ARRIVED
    assert record.problem is not None and "Date" in record.problem and header in record.problem


IDS = [f"<id{k}.{'x' * 30}@mail.example.com>" for k in range(6)]


@pytest.mark.parametrize(
    "references",
    [
        " ".join(IDS),  # one long line
        "\r\n ".join(IDS),  # Gmail: folded, one id a line
        "\r\n\t".join(IDS),  # folded with tabs
        ",".join(IDS),  # Outlook: commas, no blanks
        ", ".join(IDS[:3]) + ",\r\n " + ", ".join(IDS[3:]),  # Outlook: commas, folded
    ],
    ids=["spaces", "gmail-folded", "tab-folded", "outlook-commas", "outlook-folded"],
)
def test_references_are_every_id_in_order(dovecot: Dovecot, references: str) -> None:
    extra = f"In-Reply-To: {IDS[-1]}\r\nReferences: {references}"
    dovecot.deliver("INBOX", message(1, extra=extra))
    record = only(read_new(dovecot.settings(), {}, since=None)[0])
    assert record.references == tuple(IDS) and record.in_reply_to == IDS[-1]
    assert record.problem is None


@pytest.mark.parametrize(
    ("to", "cc", "to_addrs", "cc_addrs"),
    [
        ("Kommittén <Alumni@Sektionen.SE>", "", (COMMITTEE,), ()),
        (
            '"Berg, Erik" <erik@x.se>, =?utf-8?q?=C3=85sa?= <asa@y.se>',
            "Cc: b@z.se, undisclosed-recipients:;",
            ("erik@x.se", "asa@y.se"),
            ("b@z.se",),
        ),
        ("Gruppen: a@x.se, b@x.se;", "Cc: c@x.se", ("a@x.se", "b@x.se"), ("c@x.se",)),
    ],
    ids=["case", "quoted-and-encoded-names", "group"],
)
def test_addresses_are_bare_and_lower_case(
    dovecot: Dovecot, to: str, cc: str, to_addrs: tuple[str, ...], cc_addrs: tuple[str, ...]
) -> None:
    dovecot.deliver("INBOX", message(1, sender="Anna.Ek@Example.COM", to=to, extra=cc))
    record = only(read_new(dovecot.settings(), {}, since=None)[0])
    assert (record.from_addr, record.to_addrs, record.cc_addrs) == (ANNA, to_addrs, cc_addrs)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"From: nobody-here\r\nSubject: x\r\n\r\nbody\r\n", "no Message-ID"),
        (b"Message-ID: m9@example.com\r\nFrom: a@x.se\r\n\r\nbody\r\n", "lacks its <>"),
        (b"Message-ID: <m9@x>\r\nFrom: Anna Ek\r\n\r\nbody\r\n", "not an address"),
        (b"Message-ID: <m9@x>\r\nFrom: a@x.se\r\nSubject: Tr\xe4ff\r\n\r\nbody\r\n", "not UTF-8"),
    ],
    ids=["no-message-id", "id-without-brackets", "from-without-address", "latin1-header"],
)
def test_a_malformed_message_is_a_record_with_its_problem(
    dovecot: Dovecot, raw: bytes, problem: str
) -> None:
    dovecot.deliver("INBOX", raw)
    dovecot.deliver("INBOX", message(2))
    records, _, _ = read_new(dovecot.settings(), {}, since=None)
    assert len(records) == 2 and records[1].problem is None
    assert records[0].problem is not None and problem in records[0].problem


# --- reading from where the last reading stopped ------------------------------------------------


def test_a_second_reading_finds_only_what_came_after_the_first(dovecot: Dovecot) -> None:
    deliver_many(dovecot, "INBOX", range(1, 6))
    dovecot.deliver("Sent", message(10), flags="S")
    first, state, _ = read_new(dovecot.settings(), {}, since=None)
    assert len(first) == 6
    again, same_state, notes = read_new(dovecot.settings(), state, since=None)
    assert again == [] and same_state == state and notes == []
    deliver_many(dovecot, "INBOX", range(6, 9))
    dovecot.deliver("Sent", message(9), flags="S")
    more, later, _ = read_new(dovecot.settings(), same_state, since=None)
    assert ids(more) == [f"<m{n}@example.com>" for n in (6, 7, 8, 9)]
    assert later["INBOX"].last_uid == 8 and later["Sent"].last_uid == 2


def test_the_first_reading_goes_back_to_since_by_arrival(dovecot: Dovecot) -> None:
    for n, day in enumerate((1, 10, 19, 20), start=1):
        dovecot.deliver("INBOX", message(n), internaldate=datetime(2026, 11, day, 12, tzinfo=UTC))
    records, state, _ = read_new(dovecot.settings(), {}, since=date(2026, 11, 10))
    assert ids(records) == [f"<m{n}@example.com>" for n in (2, 3, 4)]
    # The older message is passed over for good, not read next time.
    assert read_new(dovecot.settings(), state, since=date(2026, 11, 10))[0] == []
    assert state["INBOX"].last_uid == 4


def test_an_empty_folder_is_read_from_its_next_uid(dovecot: Dovecot) -> None:
    records, state, _ = read_new(dovecot.settings(), {}, since=None)
    assert records == [] and state["INBOX"].last_uid == 0
    dovecot.deliver("INBOX", message(1))
    assert ids(read_new(dovecot.settings(), state, since=None)[0]) == ["<m1@example.com>"]


def test_a_changed_uidvalidity_reads_the_folder_again_whole(dovecot: Dovecot) -> None:
    deliver_many(dovecot, "INBOX", range(1, 4))
    dovecot.deliver("Sent", message(4), flags="S")
    first, state, _ = read_new(dovecot.settings(), {}, since=None)
    dovecot.set_uidvalidity("INBOX", state["INBOX"].uidvalidity + 1000)
    again, new_state, notes = read_new(dovecot.settings(), state, since=None)
    assert ids(again) == ids(first)[:3]  # INBOX again, not Sent
    assert new_state["INBOX"] == FolderState(state["INBOX"].uidvalidity + 1000, 3)
    assert new_state["Sent"] == state["Sent"]
    assert any("INBOX" in note and "UIDVALIDITY" in note for note in notes)


def test_more_messages_than_one_batch_are_all_read(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap, "BATCH", 2)
    deliver_many(dovecot, "INBOX", range(1, 6))
    records, state, _ = read_new(dovecot.settings(), {}, since=None)
    assert [r.uid for r in records] == [1, 2, 3, 4, 5] and state["INBOX"].last_uid == 5
    fetches = [c for c in dovecot.commands() if c.startswith("UID FETCH")]
    assert len(fetches) == 3


def test_a_folder_that_does_not_exist_stops_the_reading_and_names_the_servers_folders(
    dovecot: Dovecot,
) -> None:
    # Read without it, the committee's answers would be missed: a breach that was none.
    dovecot.deliver("INBOX", message(1))
    dovecot.deliver("Sent", message(2))
    dovecot.deliver("Drafts", message(3))
    given = dovecot.settings(folders=("INBOX", "Skickat"))
    with pytest.raises(ImapFolderMissing) as caught:
        read_new(given, {}, since=None)
    text = str(caught.value)
    assert text.startswith(
        f"the folder 'Skickat' cannot be opened on the IMAP server {dovecot.host}:{dovecot.port} ("
    )
    assert text.endswith(
        "— nothing of this reading was used, since without it answers would be missed. The "
        "server's folders: INBOX, Drafts, Sent (its sent mail). Set [imap] folders to the inbox "
        "and the folder of sent mail."
    )
    assert caught.value.exit_code == 2
    assert any(c.startswith("LOGOUT") for c in dovecot.commands())


# --- the mailbox stays as it was ----------------------------------------------------------------


def test_reading_changes_nothing_in_the_mailbox(dovecot: Dovecot) -> None:
    deliver_many(dovecot, "INBOX", range(1, 4))
    before = dovecot.files("INBOX")
    read_new(dovecot.settings(), {}, since=None)
    # Opened read-write, Dovecot would have moved them to cur/; marked, they would be \Seen.
    assert dovecot.files("INBOX") == before
    commands = dovecot.commands()
    verbs = {" ".join(c.split()[: 2 if c.startswith("UID ") else 1]) for c in commands}
    assert verbs <= {"CAPABILITY", "EXAMINE", "UID SEARCH", "UID FETCH", "LOGOUT"}, commands
    assert 'EXAMINE "INBOX"' in commands
    assert all("BODY.PEEK[HEADER.FIELDS" in c for c in commands if c.startswith("UID FETCH"))
    with imapclient.IMAPClient(dovecot.host, dovecot.port, ssl=False) as client:
        client.plain_login(dovecot.user, dovecot.password)
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
    assert len(flags) == 3 and all(b"\\Seen" not in f for f in flags.values())


def test_only_headers_are_fetched(dovecot: Dovecot) -> None:
    deliver_many(dovecot, "INBOX", range(1, 4))
    records, _, _ = read_new(dovecot.settings(), {}, since=None)
    assert len(records) == 3 and BODY_MARKER not in repr(records)
    assert "MIME-Version" not in repr(records)
    # Dovecot's own count, at the end of the session, of what was fetched.
    assert "hdr_count=3 " in dovecot.log(waiting_for="Logged out")
    assert "body_count=0 body_bytes=0" in dovecot.log()


# --- the server going away ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["drop_connections", "kill"])
def test_a_connection_lost_mid_fetch_is_unavailable_and_the_next_reading_misses_nothing(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    inbox = dovecot.settings(folders=("INBOX",))
    deliver_many(dovecot, "INBOX", range(1, 3))
    _, state, _ = read_new(inbox, {}, since=None)
    deliver_many(dovecot, "INBOX", range(3, 8))
    monkeypatch.setattr(imap, "BATCH", 2)
    fetch = imapclient.IMAPClient.fetch
    batches = []

    def fetch_then_break(client: imapclient.IMAPClient, *args: Any, **kwargs: Any) -> Any:
        got = fetch(client, *args, **kwargs)
        batches.append(sorted(got))
        getattr(dovecot, how)()  # after the first batch, before the second
        return got

    monkeypatch.setattr(imapclient.IMAPClient, "fetch", fetch_then_break)
    with pytest.raises(ImapUnavailable, match=f"lost the IMAP server {dovecot.host}:{inbox.port}"):
        read_new(inbox, state, since=None)
    assert batches == [[3, 4]]
    monkeypatch.undo()
    if how == "kill":
        dovecot.start()  # on new ports
    # Nothing came back but the error: the state of before the loss reads all that is new.
    records, _, _ = read_new(dovecot.settings(folders=("INBOX",)), state, since=None)
    assert [r.uid for r in records] == [3, 4, 5, 6, 7]


def test_a_killed_server_is_unavailable(dovecot: Dovecot) -> None:
    dovecot.kill()
    with pytest.raises(ImapUnavailable, match="connection refused"):
        read_new(dovecot.settings(), {}, since=None)


def test_a_server_that_never_answers_is_unavailable_after_the_timeout() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # connections are taken in, and never greeted
        port = silent.getsockname()[1]
        given = ImapSettings("127.0.0.1", port, "u", "p", "plain", ("INBOX",), 90, 0.3, None)
        with pytest.raises(ImapUnavailable, match=f"127.0.0.1:{port}.*TimeoutError"):
            read_new(given, {}, since=None)
