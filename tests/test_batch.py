"""The one send loop (alumni.mail.batch): exactly once per key, refusals, Ctrl-C, samples."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from alumni.config import Config, MailConfig
from alumni.errors import ConfigError, StoreError
from alumni.mail.base import Mailer, MailError, PermanentFailure, nothing
from alumni.mail.batch import ALREADY, Prepared, Sending
from alumni.mail.journal import (
    DEFERRED,
    FAILED,
    SENDING,
    SENT,
    UNCERTAIN,
    Journal,
    JournalWriteFailed,
)
from alumni.mail.message import KEY_HEADER, from_committee
from alumni.mail.outbox import OutboxMailer

NOW = pd.Timestamp("2026-11-28 14:05", tz="Europe/Stockholm")


class Recording(Mailer):
    """Keeps what it is given; refuses, or fails at, the messages it is told to."""

    description = "a list"

    def __init__(
        self,
        refuse: str = "",
        fail_at: int = 0,
        interrupt_at: int = 0,
        log: list[str] | None = None,
        commits: bool = True,
        refuse_to_prepare: str = "",
    ) -> None:
        self.sent: list[EmailMessage] = []
        self.refuse_to_prepare = refuse_to_prepare
        self.refuse, self.fail_at, self.interrupt_at = refuse, fail_at, interrupt_at
        self.log = log if log is not None else []
        self.commits = commits

    def send(
        self,
        message: EmailMessage,
        *,
        commit: Callable[[], None] = nothing,
        meanwhile: Callable[[], None] = nothing,
    ) -> None:
        count = len(self.sent) + 1
        if count == self.fail_at:
            raise MailError("the server is gone")
        if count == self.interrupt_at:
            raise KeyboardInterrupt
        if self.refuse and self.refuse in str(message["To"]):
            raise PermanentFailure("550 5.1.1 User unknown")
        if self.commits:
            commit()
        key = message[KEY_HEADER]
        meanwhile()  # as an SMTP server does: it takes a while to check the recipient
        self.log.append(f"hand over {key}")
        self.sent.append(message)
        meanwhile()  # and a while to answer the message
        self.log.append(f"answered {key}")

    def prepare(self, message: EmailMessage) -> None:
        self.log.append(f"prepare {message[KEY_HEADER]}")
        if self.refuse_to_prepare and self.refuse_to_prepare in str(message["To"]):
            raise RuntimeError("a bug in preparing")


def config(tmp_path: Path) -> Config:
    mail = MailConfig(journal=tmp_path / "journal.jsonl", outbox=tmp_path / "outbox")
    return dataclasses.replace(Config(), mail=mail)


def item(key: str, address: str, **options: object) -> Prepared:
    def build() -> EmailMessage:
        return from_committee(
            MailConfig(),
            to_name=key.title(),
            to_address=address,
            subject="Ämne",
            text="Hej",
            now=NOW,
            key=key,
        )

    return Prepared(key, key.title(), build, **options)  # type: ignore[arg-type]


def states(path: Path) -> dict[str, str]:
    return {key: entry.state for key, entry in Journal(path).entries().items()}


def test_each_key_goes_once_and_an_unknown_one_only_when_asked(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    with Journal(cfg.mail.journal) as journal:
        journal.mark("anna", SENT, NOW)
        journal.mark("bo", SENDING, NOW)  # a run died while the server answered
    items = [item("anna", "anna@example.org"), item("bo", "bo@example.org")]
    mailer = Recording()
    sending = Sending(cfg, lambda: NOW, mailer=mailer)
    with sending.journal:
        batch = sending.send(items)
    assert mailer.sent == []
    assert [(o.state, o.sent_before) for o in batch.outcomes] == [(ALREADY, True), (ALREADY, False)]

    sending = Sending(cfg, lambda: NOW, mailer=mailer)
    with sending.journal:
        batch = sending.send(items, resend_unknown=True)
    assert [str(m["To"]) for m in mailer.sent] == ["Bo <bo@example.org>"]
    assert batch.counts() == {ALREADY: 1, SENT: 1}


def test_a_refused_or_unsendable_address_is_failed_with_its_reason_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    cfg = config(tmp_path)
    items = [
        item("anna", "anna@example.org"),
        item("bo", "bo@exempel,org"),  # the mail layer cannot address it
        item("cia", "cia@example.org"),
        item("dan", "dan@example.org"),
    ]
    mailer = Recording(refuse="cia@")
    sending = Sending(cfg, lambda: NOW, mailer=mailer)
    with sending.journal:
        batch = sending.send(items)
    assert batch.names(SENT) == ["Anna", "Dan"]
    [(bo, why_bo), (cia, why_cia)] = batch.reasons(FAILED)
    assert (bo, cia) == ("Bo", "Cia")
    assert "is not one e-mail address" in why_bo and why_cia == "550 5.1.1 User unknown"
    assert states(cfg.mail.journal) == {"anna": SENT, "bo": FAILED, "cia": FAILED, "dan": SENT}


def logged(key: str, log: list[str]) -> Prepared:
    made = item(key, f"{key}@example.org")

    def build() -> EmailMessage:
        log.append(f"build {key}")
        return made.build()

    return dataclasses.replace(made, build=build)


def test_each_message_is_built_while_the_server_answers_the_one_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(tmp_path)
    log: list[str] = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (log.append("fsync"), fsync(fd))[1])
    sending = Sending(cfg, lambda: NOW, mailer=Recording(log=log))
    with sending.journal:
        log.clear()  # opening the journal
        batch = sending.send([logged(key, log) for key in ("anna", "bo", "cia")])

    assert batch.names(SENT) == ["Anna", "Bo", "Cia"]
    # One fsync a message, before it is handed over; each next message is built and prepared
    # in the server's two waits for the one before.
    assert log == [
        "build anna",
        "fsync",
        "build bo",
        "hand over anna",
        "prepare bo",
        "answered anna",
        "fsync",
        "build cia",
        "hand over bo",
        "prepare cia",
        "answered bo",
        "fsync",
        "hand over cia",
        "answered cia",
    ]


def test_a_prepare_that_fails_ahead_leaves_the_message_in_flight_alone(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    log: list[str] = []
    mailer = Recording(log=log, refuse_to_prepare="bo@")
    sending = Sending(cfg, lambda: NOW, mailer=mailer)
    with sending.journal:
        batch = sending.send([logged("anna", log), logged("bo", log)])

    # Bo's message is sent all the same: the mailer does at its turn what prepare would have.
    assert batch.names(SENT) == ["Anna", "Bo"]
    assert "prepare bo" in log


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (ValueError("bo@exempel,org is not one e-mail address"), FAILED),
        (RuntimeError("a bug in building"), None),
    ],
    ids=["unsendable address", "a bug"],
)
def test_a_build_that_fails_ahead_fails_at_its_own_turn_not_the_message_in_flight(
    tmp_path: Path, error: Exception, outcome: str | None
) -> None:
    cfg = config(tmp_path)

    def broken() -> EmailMessage:
        raise error

    items = [item("anna", "anna@example.org"), Prepared("bo", "Bo", broken)]
    sending = Sending(cfg, lambda: NOW, mailer=Recording())
    with sending.journal:
        if outcome is None:
            with pytest.raises(type(error)):
                sending.send(items)
        else:
            sending.send(items)

    # Anna's answer came while Bo's message was being built: she is sent, not uncertain.
    expected = {"anna": SENT} if outcome is None else {"anna": SENT, "bo": outcome}
    assert states(cfg.mail.journal) == expected


def test_a_message_built_ahead_is_not_sent_when_the_one_before_settled_it(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    log: list[str] = []
    report = dataclasses.replace(logged("report", log), settles=("bo",))
    mailer = Recording(log=log)
    sending = Sending(cfg, lambda: NOW, mailer=mailer)
    with sending.journal:
        batch = sending.send([report, logged("bo", log)])

    assert [o.state for o in batch.outcomes] == [SENT, ALREADY]
    assert [m[KEY_HEADER] for m in mailer.sent] == ["report"]


def test_a_mailer_that_delivers_without_committing_stops_and_leaves_the_message_uncertain(
    tmp_path: Path,
) -> None:
    cfg = config(tmp_path)
    sending = Sending(cfg, lambda: NOW, mailer=Recording(commits=False))
    with sending.journal, pytest.raises(RuntimeError, match="without committing the journal"):
        sending.send([item("anna", "anna@example.org"), item("bo", "bo@example.org")])
    assert states(cfg.mail.journal) == {"anna": SENDING}


def test_a_report_settles_the_keys_it_covers_once_sent(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    sending = Sending(cfg, lambda: NOW, mailer=Recording())
    with sending.journal:
        sending.send([item("report:KL-1,KL-2", "nla@example.org", settles=("report:KL-1",))])
    assert states(cfg.mail.journal) == {"report:KL-1,KL-2": SENT, "report:KL-1": SENT}


def test_a_mail_server_that_is_gone_leaves_the_message_deferred_and_stops(
    tmp_path: Path,
) -> None:
    cfg = config(tmp_path)
    flushed: list[int] = []
    sending = Sending(cfg, lambda: NOW, mailer=Recording(fail_at=2))
    with sending.journal, pytest.raises(MailError):
        sending.send(
            [item("anna", "anna@example.org"), item("bo", "bo@example.org")],
            flush=lambda: flushed.append(1),
        )
    assert states(cfg.mail.journal) == {"anna": SENT, "bo": DEFERRED}
    assert flushed, "what went is written to the sheet before the run stops"


@pytest.mark.parametrize("interruptible", [True, False])
def test_ctrl_c_leaves_the_message_in_flight_uncertain(tmp_path: Path, interruptible: bool) -> None:
    cfg = config(tmp_path)
    items = [item(name, f"{name}@example.org") for name in ("anna", "bo", "cia")]
    sending = Sending(cfg, lambda: NOW, mailer=Recording(interrupt_at=2))
    with sending.journal:
        if interruptible:
            batch = sending.send(items, interruptible=True)
            assert batch.interrupted and batch.not_reached == 1
            assert batch.names(UNCERTAIN) == ["Bo"]
        else:
            with pytest.raises(KeyboardInterrupt):
                sending.send(items)
    assert states(cfg.mail.journal) == {"anna": SENT, "bo": UNCERTAIN}


def test_the_daily_cap_counts_every_message_handed_over_in_24_hours(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    cfg = dataclasses.replace(cfg, mail=dataclasses.replace(cfg.mail, daily_cap=3))
    with Journal(cfg.mail.journal) as journal:
        journal.mark("yesterday", SENDING, NOW - pd.Timedelta(hours=25))
        journal.mark("today", SENDING, NOW - pd.Timedelta(hours=2))
    items = [item(name, f"{name}@example.org") for name in ("anna", "bo", "cia")]
    sending = Sending(cfg, lambda: NOW, mailer=Recording(), sleep=lambda s: None)
    with sending.journal:
        batch = sending.send(items, paced=True)
    assert (batch.names(SENT), batch.capped_at, batch.not_reached) == (["Anna", "Bo"], 3, 1)


def test_a_sample_goes_to_the_test_address_marked_test_and_nothing_is_recorded(
    tmp_path: Path,
) -> None:
    cfg = config(tmp_path)
    with Sending.open(cfg, lambda: NOW, test_to="ordforande@example.org") as sending:
        assert isinstance(sending.mailer, OutboxMailer)  # the config's backend
        sending.send_sample(item("anna", "anna@example.org").build())
    [file] = (tmp_path / "outbox").glob("*.eml")
    sample = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    assert str(sample["To"]) == "Anna <ordforande@example.org>"
    assert sample["Subject"] == "[Test] Ämne" and sample[KEY_HEADER] is None
    assert not cfg.mail.journal.exists()

    with (
        Sending.open(cfg, lambda: NOW, test_to="inte en adress") as sending,
        pytest.raises(ConfigError, match="--test-to: 'inte en adress' is not one e-mail address"),
    ):
        sending.send_sample(item("x", "anna@example.org").build())


def broken_after(journal: Journal, fails: Callable[[str, str], bool]) -> None:
    """Make the journal's disk refuse the entries `fails(key, state)` picks, from then on."""
    mark, broken = journal.mark, []

    def failing(key: str, state: str, *args: Any, **kwargs: Any) -> None:
        if broken or fails(key, state):
            broken.append(key)
            raise JournalWriteFailed("unwritable", journal.path, "No space left on device")
        mark(key, state, *args, **kwargs)

    journal.mark = failing  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("fails", "sheet_fails", "told"),
    [
        (
            lambda key, state: key == "bo" and state == SENDING,
            False,
            "1 message(s) went out before that and the sheet shows them; the message to Bo was "
            "not sent (the journal may still show it as uncertain: `--resend-uncertain` sends "
            "it, which is safe for this one)",
        ),
        (
            lambda key, state: key == "bo" and state == SENT,
            False,
            "1 message(s) went out before that and the sheet shows them; the message to Bo was "
            "accepted by the mail server but could not be recorded, so it counts as uncertain "
            "(`alumni uncertain` lists it)",
        ),
        (
            lambda key, state: key == "anna" and state == SENDING,
            True,
            "no message went out before that; the message to Anna was not sent (the journal "
            "may still show it as uncertain: `--resend-uncertain` sends it, which is safe for "
            "this one)",
        ),
        (
            lambda key, state: key == "bo" and state == SENDING,
            True,
            "1 message(s) went out before that and the sheet could not be updated either (the "
            "sheet is on the same disk); the next run does it; the message to Bo was not sent "
            "(the journal may still show it as uncertain: `--resend-uncertain` sends it, which "
            "is safe for this one)",
        ),
    ],
    ids=["before Bo's send", "Bo's answer", "before the first", "the sheet too"],
)
def test_a_journal_that_fails_mid_run_stops_it_and_says_what_went(
    tmp_path: Path, fails: Callable[[str, str], bool], sheet_fails: bool, told: str
) -> None:
    cfg = config(tmp_path)
    mailer = Recording()
    sending = Sending(cfg, lambda: NOW, mailer=mailer)

    def flush() -> None:
        if sheet_fails:
            raise StoreError("the sheet is on the same disk")

    items = [item("anna", "anna@example.org"), item("bo", "bo@example.org")]
    with sending.journal:
        broken_after(sending.journal, fails)
        with pytest.raises(JournalWriteFailed) as caught:
            sending.send([*items, item("cia", "cia@example.org")], flush=flush)

    assert str(caught.value) == (
        f"the send journal {cfg.mail.journal} could not be written during the run (No space "
        f"left on device) — the run stopped: {told}. Free some space or repair the disk, then "
        "run again: nothing goes out twice."
    )
    assert "Cia" not in [m["To"].addresses[0].display_name for m in mailer.sent]
