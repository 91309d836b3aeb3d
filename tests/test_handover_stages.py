"""Where an SMTP transaction breaks decides what the journal says of the message.

A failure before the server accepted the message (the login, MAIL FROM, RCPT, a reply to the
data that says no) means it was not sent: `deferred` (or `failed` for a 5xx refusal of that
one message), and the next run sends it. Only a connection lost after the whole message was
handed over (DATA sent, the reply never read) leaves it `uncertain`, never sent again on a
guess. Driven through the real CLI against the real SMTP test server, for invitations, first
contacts and the deadline notices of the demo sheet; each case is one run with the fault, then
one run with the server healthy, counting what the server got per message across both.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alumni.cli import run
from alumni.jobs.uncertain import reference
from alumni.mail.journal import DEFERRED, FAILED, SENT, UNCERTAIN, Journal
from tests.fakes.smtp_server import PASSWORD, USERNAME, FakeSmtpServer, Received, Stage
from tests.helpers import NOW, SIGNUP_LINK, alumni, demo_folder, write_config

RETRIES = 3  # [smtp] retries by default: a fault that lasts meets every one of 1 + 3 tries
STOPPED = "(not tried)"


@dataclass(frozen=True)
class Kind:
    """One sending command on the demo sheet, and what has to run before it."""

    send: tuple[str, ...]
    before: tuple[tuple[str, ...], ...] = ()


KINDS = {
    "invite": Kind(("invite", "--send")),  # six graduates of 2026 not yet invited
    "contact": Kind(("contact", "--send"), before=(("votes",),)),  # two first contacts
    "overdue": Kind(("overdue", "--send")),  # a reminder, four breach notices, one report
}


@dataclass(frozen=True)
class Message:
    key: str
    name: str  # the recipient as the output names them


def key_of(message: Received) -> str:
    return str(message.message["X-Alumni-Key"])


def sent_per_key(messages: list[Received]) -> Counter[str]:
    return Counter(key_of(m) for m in messages)


def listed_as_uncertain(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The references `alumni uncertain` lists."""
    _, out, _ = alumni(capsys, "uncertain")
    return [m[1] for line in out.splitlines() if (m := re.match(r"  (\S+)  ", line))]


def run_quietly(*args: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return run(["--now", NOW, "--for-real", *args])


@pytest.fixture(scope="module")
def plans() -> Iterator[dict[str, list[Message]]]:
    """Each kind's messages in the order a healthy run sends them (keys are stable: row ID and
    address, or the contact-log ID)."""
    found: dict[str, list[Message]] = {}
    with pytest.MonkeyPatch.context() as mp, FakeSmtpServer() as server:
        for name, kind in KINDS.items():
            with tempfile.TemporaryDirectory() as folder:
                mp.chdir(folder)
                mp.delenv("ALUMNI_CONFIG", raising=False)
                write_config(Path(folder), server)
                assert run_quietly("init", "--demo") == 0
                for before in kind.before:
                    assert run_quietly(*before) == 0
                server.reset()
                assert run_quietly(*kind.send) == 0
                found[name] = [
                    Message(key_of(m), str(m.message["To"].addresses[0].display_name))
                    for m in server.messages
                ]
                assert len(set(m.key for m in found[name])) == len(found[name]) >= 2
    yield found


# -- the faults ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """A fault that hits the second message of the run, or the first with `at_start`.

    It is armed once the server has the first message; a reply to the data (which the server
    gives after its hooks have run) is armed at the second message's MAIL FROM instead.

    `state` is what the journal must say of the message hit; `stops` that the run ends there
    (the rest untried, exit 2); `received` that the server kept the message anyway.
    """

    arm: Callable[[FakeSmtpServer], None]
    state: str
    stops: bool = False
    received: bool = False
    at_start: bool = False
    after_data: bool = False  # a reply to the data: armed at the second MAIL FROM
    login: bool = False  # against the server that requires STARTTLS and a login
    said: str = ""  # what the run says on stderr when it stops


def lasting_drops(stage: Stage) -> Callable[[FakeSmtpServer], None]:
    def arm(server: FakeSmtpServer) -> None:
        for attempt in range(1, RETRIES + 2):
            server.drop_connection(at_message=attempt, stage=stage)

    return arm


def wrong_password(server: FakeSmtpServer) -> None:
    server.password = "ett-annat-lösenord"


def new_password_and_a_drop(server: FakeSmtpServer) -> None:
    # The line goes dead before the next message; the new connection's login is refused.
    server.password = "bytt-mitt-i-körningen"
    server.drop_connection(at_message=1, stage="MAIL")


FAULTS = {
    "login refused at the start": Fault(
        wrong_password, DEFERRED, stops=True, at_start=True, login=True, said="refused the login"
    ),
    "login refused on reconnecting mid-run": Fault(
        new_password_and_a_drop, DEFERRED, stops=True, login=True, said="refused the login"
    ),
    "MAIL FROM refused 553": Fault(
        lambda s: s.refuse_sender(553, "5.7.1 Sender not allowed"),
        DEFERRED,
        stops=True,
        said="refused the sender",
    ),
    "MAIL FROM deferred 451, lasting": Fault(
        lambda s: s.defer(RETRIES + 1, 451, "4.3.0 Try again later", stage="MAIL"), DEFERRED
    ),
    "MAIL FROM answered 421 closing, lasting": Fault(
        lambda s: s.defer(RETRIES + 1, 421, "4.7.0 Too many messages, closing", stage="MAIL"),
        DEFERRED,
    ),
    "connection dropped at MAIL once": Fault(
        lambda s: s.drop_connection(at_message=1, stage="MAIL"), SENT, received=True
    ),
    "connection dropped at MAIL, lasting": Fault(lasting_drops("MAIL"), DEFERRED),
    "connection dropped at RCPT once": Fault(
        lambda s: s.drop_connection(at_message=1, stage="RCPT"), SENT, received=True
    ),
    "connection dropped at RCPT, lasting": Fault(lasting_drops("RCPT"), DEFERRED),
    "RCPT refused 550": Fault(lambda s: s.defer(1, 550, "5.1.1 User unknown"), FAILED),
    "RCPT deferred 452, lasting": Fault(
        lambda s: s.defer(RETRIES + 1, 452, "4.2.2 Mailbox full"), DEFERRED
    ),
    "after the data refused 554": Fault(
        lambda s: s.defer(1, 554, "5.7.1 Message rejected as spam", stage="DATA"),
        FAILED,
        after_data=True,
    ),
    "after the data deferred 451, lasting": Fault(
        lambda s: s.defer(RETRIES + 1, 451, "4.3.0 Try again later", stage="DATA"),
        DEFERRED,
        after_data=True,
    ),
    "dropped after the data, server kept it": Fault(
        lambda s: s.drop_connection(at_message=1, stage="DATA", keep=True),
        UNCERTAIN,
        received=True,
    ),
    "dropped after the data, server lost it": Fault(
        lambda s: s.drop_connection(at_message=1, stage="DATA", keep=False), UNCERTAIN
    ),
}

# Invitations meet every fault; first contacts and notices (the same send loop) a few that
# differ in what the run does afterwards.
CHEAP = (
    "login refused at the start",
    "MAIL FROM refused 553",
    "connection dropped at MAIL, lasting",
    "RCPT refused 550",
    "after the data deferred 451, lasting",
    "dropped after the data, server kept it",
)
CASES = [("invite", fault) for fault in FAULTS] + [
    (kind, fault) for kind in ("contact", "overdue") for fault in CHEAP
]


def first_exit(kind: str, fault: Fault) -> int:
    if fault.stops:
        return 2  # sending cannot go on: the run could not be done
    if fault.state == UNCERTAIN:
        return 1  # the chair must ask the person
    if fault.state == FAILED:
        return 1  # an address to correct, for a notice as for an invitation
    return 0


def retried(kind: str, state: str) -> bool:
    """Whether the healthy run sends a message left in `state` by the first run."""
    if state in (DEFERRED, STOPPED):
        return True
    # An invitation or a first contact refused for good waits for a corrected address (a new
    # key); a notice is simply tried again.
    return state == FAILED and kind == "overdue"


# -- the test -------------------------------------------------------------------------------------


@pytest.fixture
def server(request: pytest.FixtureRequest) -> FakeSmtpServer:
    fault: Fault = FAULTS[request.node.callspec.params["fault"]]
    name = "tls_smtp_server" if fault.login else "smtp_server"
    server: FakeSmtpServer = request.getfixturevalue(name)
    return server


def use_login(folder: Path, server: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert server.tls is not None
    (folder / "config.toml").write_text(
        "[mail]\n"
        'backend = "smtp"\nrate_per_minute = 0\nfrom_address = "alumni@sektionen.se"\n'
        "[smtp]\n"
        f'host = "{server.host}"\nport = {server.port}\nsecurity = "starttls"\n'
        f'username = "{USERNAME}"\nca_file = "{server.tls.ca_file}"\nbackoff_seconds = 0.0\n'
        f'[invite]\nsignup_link = "{SIGNUP_LINK}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ALUMNI_SMTP_PASSWORD", PASSWORD)


@pytest.mark.parametrize(("kind", "fault"), CASES)
def test_only_a_loss_after_the_data_is_uncertain_and_everything_not_sent_goes_next_run(
    kind: str,
    fault: str,
    plans: dict[str, list[Message]],
    server: FakeSmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = FAULTS[fault]
    plan = plans[kind]
    demo_folder(tmp_path, monkeypatch, server)
    if f.login:
        use_login(tmp_path, server, monkeypatch)
    for before in KINDS[kind].before:
        assert alumni(capsys, *before)[0] == 0
    server.reset()
    hit = 0 if f.at_start else 1
    if f.at_start:
        f.arm(server)
    else:
        seen: list[str] = []

        def arm_after_the_first(_: Received) -> None:
            seen.append("data")
            if len(seen) == 1 and not f.after_data:
                f.arm(server)

        def arm_at_the_second(_: str) -> None:
            if seen == ["data"] and f.after_data:
                seen.append("armed")
                f.arm(server)

        server.on_data(arm_after_the_first)
        server.on_mail(arm_at_the_second)

    # The run with the fault.
    code, out, err = alumni(capsys, *KINDS[kind].send)
    journal = Journal(tmp_path / "sent-journal.jsonl").entries()
    expected = {m.key: SENT for m in plan[:hit]}
    expected[plan[hit].key] = f.state
    expected |= {m.key: STOPPED if f.stops else SENT for m in plan[hit + 1 :]}
    states = {m.key: journal[m.key].state if m.key in journal else STOPPED for m in plan}
    assert states == expected, out + err
    assert code == first_exit(kind, f), out + err
    first = sent_per_key(server.messages)
    kept = f.received and f.state != SENT  # the server had it, the client never heard so
    got_the_hit = Counter({plan[hit].key: 1}) if kept else Counter()
    assert first == Counter({k: 1 for k, s in expected.items() if s == SENT}) + got_the_hit
    if f.said:
        assert f.said in err
    if f.state == UNCERTAIN:
        assert any(
            line.lstrip().startswith("Uncertain") and plan[hit].name in line
            for line in out.splitlines()
        ), out

    # The run with the server healthy: exactly what was not sent goes, nothing twice.
    server.reset()
    server.password = PASSWORD
    code, out, err = alumni(capsys, *KINDS[kind].send)
    second = sent_per_key(server.messages)
    assert second == Counter({k: 1 for k, s in expected.items() if retried(kind, s)}), out + err
    total = first + second
    assert all(n == 1 for n in total.values()), f"sent twice: {total}"
    journal = Journal(tmp_path / "sent-journal.jsonl").entries()
    after = {k: SENT if retried(kind, s) else s for k, s in expected.items()}
    assert {m.key: journal[m.key].state for m in plan} == after
    left_to_ask = f.state == UNCERTAIN or (f.state == FAILED and kind != "overdue")
    assert code == (1 if left_to_ask else 0), out + err
    if f.state == UNCERTAIN:
        # Still named, and still not sent again on a guess.
        assert any("ncertain" in line and plan[hit].name in line for line in out.splitlines()), out
    assert listed_as_uncertain(capsys) == (
        [reference(plan[hit].key)] if f.state == UNCERTAIN else []
    )


# -- the breach report ---------------------------------------------------------------------------


def overdue_until_the_report(
    fault: Fault,
    plans: dict[str, list[Message]],
    server: FakeSmtpServer,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Message:
    """`overdue --send` on the demo with `fault` hitting the breach report to
    Näringslivsansvarig (the last notice), after the breach notices went."""
    plan = plans["overdue"]
    (report,) = [m for m in plan if m.key.startswith("report:")]
    assert plan[-1] == report
    demo_folder(folder, monkeypatch, server)
    server.reset()
    seen: list[Received] = []

    def arm_before_the_report(message: Received) -> None:
        seen.append(message)
        if len(seen) == len(plan) - 1:
            fault.arm(server)

    server.on_data(arm_before_the_report)
    code, out, err = alumni(capsys, "overdue", "--send")
    journal = Journal(folder / "sent-journal.jsonl").entries()
    assert journal[report.key].state == fault.state, out + err
    assert code == first_exit("overdue", fault), out + err
    assert {m.key: journal[m.key].state for m in plan[:-1]} == {m.key: SENT for m in plan[:-1]}
    return report


@pytest.mark.parametrize(
    "fault",
    ["RCPT deferred 452, lasting", "connection dropped at MAIL, lasting", "RCPT refused 550"],
)
def test_a_breach_report_the_server_did_not_accept_goes_with_the_next_run(
    fault: str,
    plans: dict[str, list[Message]],
    smtp_server: FakeSmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = overdue_until_the_report(
        FAULTS[fault], plans, smtp_server, tmp_path, monkeypatch, capsys
    )
    assert smtp_server.messages and report.key not in sent_per_key(smtp_server.messages)

    smtp_server.reset()
    code, out, err = alumni(capsys, "overdue", "--send")
    assert sent_per_key(smtp_server.messages) == Counter({report.key: 1}), out + err
    assert Journal(tmp_path / "sent-journal.jsonl").entries()[report.key].state == SENT
    assert code == 0


def test_an_uncertain_breach_report_can_be_sent_again_when_asked(
    plans: dict[str, list[Message]],
    smtp_server: FakeSmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fault = FAULTS["dropped after the data, server lost it"]
    report = overdue_until_the_report(fault, plans, smtp_server, tmp_path, monkeypatch, capsys)

    smtp_server.reset()
    alumni(capsys, "overdue", "--send")
    assert smtp_server.messages == []  # not sent again on a guess
    _, out, _ = alumni(capsys, "uncertain")
    assert f"  {reference(report.key)}  breach report" in out  # listed, with the way out:
    assert "if it did not arrive: alumni overdue --send --resend-uncertain" in out
    code, out, err = alumni(capsys, "overdue", "--send", "--resend-uncertain")
    assert sent_per_key(smtp_server.messages) == Counter({report.key: 1}), out + err
    assert code == 0
