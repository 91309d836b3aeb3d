"""Nothing happens by accident: example settings are not sent, trials touch nothing, flags are checked."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from alumni import cli
from alumni.cli import run
from alumni.config import Config, InviteConfig, MailConfig, SmtpConfig
from alumni.mail.readiness import example_address, not_ready
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import COMMITTEE, NOW, SIGNUP_LINK, demo_folder

ROOT = Path(__file__).resolve().parent.parent


def configure(folder: Path, server: FakeSmtpServer, **sections: dict[str, str]) -> None:
    """A config.toml sending through `server`, ready for --send unless `sections` say otherwise."""
    settings: dict[str, dict[str, str | int]] = {
        "mail": {"backend": "smtp", "rate_per_minute": 0, "from_address": COMMITTEE},
        "smtp": {"host": server.host, "port": server.port, "security": "none"},
        "invite": {"signup_link": SIGNUP_LINK},
    }
    for name, values in sections.items():
        settings.setdefault(name, {}).update(values)
    lines = []
    for name, table in settings.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {v}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in table.items()]
    (folder / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def folder(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
) -> Path:
    demo_folder(tmp_path, monkeypatch)
    monkeypatch.delenv("ALUMNI_DEBUG", raising=False)
    configure(tmp_path, smtp_server)
    capsys.readouterr()
    return tmp_path


def alumni(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# -- 1. Nothing that still holds an example is sent ------------------------------------------

REFUSED = "not ready for real mail, nothing was sent and the sheet was not touched:\n"
SEE = "See README, 'Before the first --send'.\n"
FROM_EXAMPLE = (
    "[mail] from_address in config.toml is still the example 'a…@example.org': "
    "write the committee's real address"
)


@pytest.mark.parametrize(
    ("command", "sections", "line"),
    [
        (["invite", "--send"], {"mail": {"from_address": "alumni@example.org"}}, FROM_EXAMPLE),
        (["daily", "--send"], {"mail": {"from_address": "alumni@example.org"}}, FROM_EXAMPLE),
        (["contact", "--send"], {"mail": {"from_address": "alumni@example.org"}}, FROM_EXAMPLE),
        (
            ["invite", "--send"],
            {"invite": {"signup_link": "https://www.linkedin.com/groups/0000000/"}},
            "[invite] signup_link in config.toml is still the example "
            "'https://www.linkedin.com/groups/0000000/': write the link to the section's "
            "LinkedIn alumni group",
        ),
        (
            ["invite", "--send"],
            {"invite": {"signup_link": ""}},
            "[invite] signup_link in config.toml is empty: write the link to the section's "
            "LinkedIn alumni group",
        ),
        (
            ["invite", "--send"],
            {"invite": {"form_link": "https://forms.example.com/anmalan"}},
            "[invite] form_link in config.toml 'https://forms.example.com/anmalan' is an example "
            "that reaches nobody: write the link to the real form, or leave it empty",
        ),
        (
            ["invite", "--test-to", "ordforande@sektionen.se"],
            {"mail": {"from_address": "alumni@kommitten.test"}},
            "[mail] from_address in config.toml 'a…@kommitten.test' is an example that reaches "
            "nobody: write the committee's real address",
        ),
        (
            ["contact", "--send"],
            {"mail": {"from_name": " "}},
            "[mail] from_name in config.toml is empty: write the name recipients see, e.g. "
            "'Alumniutskottet, I-sektionen'",
        ),
        (
            ["contact", "--send"],
            {"mail": {"committee_address": "utskottet@example.com"}},
            "[mail] committee_address in config.toml 'u…@example.com' is an example that reaches "
            "nobody: write the committee's shared mailbox, or leave it empty to use from_address",
        ),
        (
            ["overdue", "--send"],
            {"deadlines": {"naringslivsansvarig": "naringsliv@example.com"}},
            "[deadlines] naringslivsansvarig in config.toml 'n…@example.com' is an example that "
            "reaches nobody: write the Näringslivsansvarig's real address, or leave it empty",
        ),
    ],
)
def test_send_refuses_example_settings_before_anything_is_read_or_sent(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    command: list[str],
    sections: dict[str, dict[str, str]],
    line: str,
) -> None:
    configure(folder, smtp_server, **sections)
    before = (folder / "alumni.xlsx").read_bytes()
    journal = (folder / "sent-journal.jsonl").read_bytes()  # the demo's, started by init
    code, out, err = alumni(capsys, "--now", NOW, "--for-real", *command)
    flag = "--send" if "--send" in command else "--test-to"
    assert (code, out, err) == (2, "", f"alumni: {flag} refused: {REFUSED}  {line}\n{SEE}")
    assert smtp_server.messages == []
    assert (folder / "alumni.xlsx").read_bytes() == before
    assert (folder / "sent-journal.jsonl").read_bytes() == journal


def test_a_template_with_an_example_in_its_own_text_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    (folder / "mallar").mkdir()
    (folder / "mallar" / "graduation_invite.sv.j2").write_text(
        "{% block subject %}Inbjudan{% endblock %}{% block text %}Hej {{ name }}! "
        "{{ signup_link }} Frågor: info@example.com\n{{ signature }}{% endblock %}",
        encoding="utf-8",
    )
    configure(folder, smtp_server, mail={"templates": "mallar"})
    code, _, err = alumni(capsys, "--now", NOW, "--for-real", "invite", "--send")
    assert (code, err) == (
        2,
        f"alumni: --send refused: {REFUSED}  mallar/graduation_invite.sv.j2 still contains the "
        f"example 'i…@example.com': write the real text in the template\n{SEE}",
    )
    assert smtp_server.messages == []


def test_a_dry_run_works_with_the_example_and_says_in_one_line_what_would_stop_send(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    configure(folder, smtp_server, mail={"from_address": "alumni@example.org"})
    code, out, err = alumni(capsys, "--now", NOW, "--for-real", "invite")
    assert code == 0 and out.startswith("Invitations for 2026: ")
    assert err == f"alumni: --send would be refused: {FROM_EXAMPLE}.\n"


def test_the_outbox_takes_examples_since_nothing_leaves_the_computer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_folder(tmp_path, monkeypatch)  # no config.toml: the built-in example settings
    capsys.readouterr()
    code, _, err = alumni(capsys, "--now", NOW, "--for-real", "invite", "--send")
    assert code == 0 and len(list((tmp_path / "outbox").iterdir())) == 6
    assert err == (
        "alumni: not ready for real mail (the outbox takes it, a mail server would not): "
        "[mail] from_address is still the example 'a…@example.org': write the committee's real "
        "address (there is no config.toml yet: copy config.example.toml to config.toml) "
        "(and 1 more).\n"
    )


def test_real_defaults_many_committees_keep_are_not_examples() -> None:
    ready = Config(
        mail=MailConfig(backend="smtp", from_address="alumni@isektionen.se"),
        smtp=SmtpConfig(),  # smtp.gmail.com
        invite=InviteConfig(signup_link="https://www.linkedin.com/groups/8765432/"),
    )
    for command in ("invite", "contact", "daily", "overdue", "schedule"):
        assert not_ready(ready, command) == [], command


@pytest.mark.parametrize(
    ("address", "example"),
    [
        ("alumni@example.org", True),
        ("alumni@example.com", True),
        ("alumni@example.net", True),
        ("alumni@mail.example.org", True),
        ("alumni@example.se", True),
        ("a@kommitten.example", True),
        ("a@kommitten.invalid", True),
        ("a@kommitten.test", True),
        ("a@localhost", True),
        ("alumni@isektionen.se", False),
        ("alumni@gmail.com", False),
        ("alumni@examples.org", False),
        ("alumni@ltu.se", False),
    ],
)
def test_domains_reserved_for_examples(address: str, example: bool) -> None:
    assert example_address(address) is example


# -- 2. A trial never touches the real sheet --------------------------------------------------

TRIAL = "Trial run as of 2027-01-10 10:00 (--now)"


def test_now_is_a_trial_that_writes_nothing_and_says_so_first_and_last(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    before = (folder / "alumni.xlsx").read_bytes()
    journal = (folder / "sent-journal.jsonl").read_bytes()  # the demo's, started by init
    code, out, _ = alumni(capsys, "--now", "2027-01-10 10:00", "daily")
    lines = out.splitlines()
    assert code in (0, 1)
    assert lines[0] == f"{TRIAL}: nothing is written to the sheet and nothing is sent."
    assert lines[1].startswith("Daily run 2027-01-10 10:00 on ")
    assert re.fullmatch(
        re.escape(TRIAL) + r": nothing was written to the sheet \(a real run would have written "
        r"\d+ cells(, \d+ new rows?)?\) and nothing was sent\.",
        lines[-1],
    ), lines[-1]
    assert "  Översikt: not written (trial run)." in lines
    assert "  Översikt: heartbeat written." not in lines
    assert (folder / "alumni.xlsx").read_bytes() == before
    assert (folder / "sent-journal.jsonl").read_bytes() == journal
    assert smtp_server.messages == []


def test_for_real_writes_as_if_it_were_that_time(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (folder / "alumni.xlsx").read_bytes()
    code, out, _ = alumni(capsys, "--now", "2027-01-10 10:00", "--for-real", "daily")
    assert code in (0, 1) and "Trial" not in out
    assert "  Översikt: heartbeat written." in out.splitlines()
    assert (folder / "alumni.xlsx").read_bytes() != before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["overdue", "--send"],
            "--now with --send: --now is a trial, nothing is written or sent — add --for-real "
            "to send as if it were 2027-01-10 10:00 (e.g. to catch up a missed day), or leave "
            "out --send to try.",
        ),
        (
            ["invite", "--send"],
            "--now with --send: --now is a trial, nothing is written or sent — add --for-real "
            "to send as if it were 2027-01-10 10:00 (e.g. to catch up a missed day), or leave "
            "out --send to try.",
        ),
        (
            ["purge", "--apply"],
            "--now with --apply: --now is a trial, nothing is written or sent — add --for-real "
            "to apply as if it were 2027-01-10 10:00 (e.g. to catch up a missed day), or leave "
            "out --apply to try.",
        ),
    ],
)
def test_now_with_send_or_apply_needs_for_real(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    args: list[str],
    message: str,
) -> None:
    before = (folder / "alumni.xlsx").read_bytes()
    assert alumni(capsys, "--now", "2027-01-10 10:00", *args) == (2, "", f"alumni: {message}\n")
    assert (folder / "alumni.xlsx").read_bytes() == before and smtp_server.messages == []


def test_a_trial_may_send_the_one_sample_to_test_to(
    folder: Path, capsys: pytest.CaptureFixture[str], smtp_server: FakeSmtpServer
) -> None:
    before = (folder / "alumni.xlsx").read_bytes()
    code, out, _ = alumni(
        capsys, "--now", "2027-01-10 10:00", "invite", "--test-to", "ordforande@sektionen.se"
    )
    lines = out.splitlines()
    assert code == 0
    assert (
        lines[0] == f"{TRIAL}: nothing is written to the sheet; only the sample goes to --test-to."
    )
    assert lines[-1] == f"{TRIAL}: nothing was written to the sheet; only the sample was sent."
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ordforande@sektionen.se"]]
    assert (folder / "alumni.xlsx").read_bytes() == before


# -- 3. Every flag is checked -----------------------------------------------------------------


def _years() -> tuple[str, str]:
    today = pd.Timestamp.now(tz="Europe/Stockholm")
    return f"{today + pd.DateOffset(years=1):%Y-%m-%d}", f"{today:%Y-%m-%d}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invite", "--limit", "0"], "--limit must be 1 or more, not 0"),
        (["invite", "--limit", "-3"], "--limit must be 1 or more, not -3"),
        (["contact", "--limit", "-3"], "--limit must be 1 or more, not -3"),
        (
            ["invite", "--test-to", "not-an-address"],
            "--test-to: 'not-an-address' is not one e-mail address: it needs exactly one @ — "
            "give one address, e.g. your own.",
        ),
        (
            ["invite", "--test-to", "me@sektionen.se\r\nBcc: all@sektionen.se"],
            "--test-to: 'm…@sektionen.se\\r\\nBcc: a…@sektionen.se' is not one e-mail address: "
            "it contains '\\n', '\\r', ' ', ':'",
        ),
        (
            ["contact", "--test-to", "me@sektionen.se\n"],
            "--test-to: 'm…@sektionen.se\\n' is not one e-mail address: it contains '\\n'",
        ),
        (
            ["invite", "--send", "--test-to", "me@sektionen.se"],
            "--test-to and --send: choose one — --test-to sends one sample to that address only, "
            "--send sends to everyone.",
        ),
        (["daily", "--for-real"], "--for-real goes with --now only"),
        (["--now", "9999-01-01", "daily"], "--now '9999-01-01' is outside the years"),
        (["--now", "1999-12-31 23:59", "daily"], "--now '1999-12-31 23:59' is outside the years"),
        (["--now", "2100-01-01", "daily"], "--now '2100-01-01' is outside the years"),
        (["invite", "--year", "1900"], "--year 1900: give a year between 2000 and "),
        (["invite", "--year", "9999"], "--year 9999: give a year between 2000 and "),
        (["report", "--year", "3000"], "--year 3000: give a year between 2000 and "),
    ],
)
def test_a_flag_that_cannot_be_meant_exits_2_with_a_message(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    args: list[str],
    message: str,
) -> None:
    before = (folder / "alumni.xlsx").read_bytes()
    code, out, err = alumni(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"alumni: {message}") and err.count("\n") == 1, err
    assert (folder / "alumni.xlsx").read_bytes() == before and smtp_server.messages == []


def test_a_now_too_far_ahead_says_which_times_are_accepted(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latest, today = _years()
    assert alumni(capsys, "--now", "9999-01-01", "daily") == (
        2,
        "",
        "alumni: --now '9999-01-01' is outside the years the tool can run at — give a time "
        f"between 2000-01-01 and {latest}, e.g. '{today} 07:00'.\n",
    )


# -- 4. Clean output --------------------------------------------------------------------------


ARGS = ("--now", NOW, "--for-real")


def test_invite_send_prints_no_python_warning(
    folder: Path, smtp_server: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    done = subprocess.run(
        [sys.executable, "-W", "default", "-m", "alumni", *ARGS, "invite", "--send"],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "warn" not in done.stderr.lower()
    assert len(smtp_server.messages) == 6


def test_a_library_warning_is_one_masked_line_only_under_alumni_debug(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cli.load_config

    def noisy(*args: object, **kwargs: object) -> Config:
        warnings.warn("could not infer format for kalle@example.se", UserWarning, stacklevel=1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "load_config", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert alumni(capsys, "check") == (0, f"No problems in {folder / 'alumni.xlsx'}.\n", "")
        monkeypatch.setenv("ALUMNI_DEBUG", "1")
        code, _, err = alumni(capsys, "check")
    assert code == 0
    assert err == (
        "alumni: debug: UserWarning at test_safety.py:"
        f"{noisy.__code__.co_firstlineno + 1}: could not infer format for k…@example.se\n"
    )


# -- 5. The scripts run from cron without an activated environment ----------------------------


def _plain_python() -> str:
    """An interpreter outside the project's environment, which cannot import the tool."""
    for python in (getattr(sys, "_base_executable", ""), "/usr/bin/python3"):
        if python and Path(python).is_file() and python != sys.executable:
            probe = subprocess.run(
                [python, "-c", "import alumni"], cwd="/", capture_output=True, check=False
            )
            if probe.returncode != 0:
                return python
    pytest.skip("no Python outside the virtual environment on this machine")


def _cron_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "LANG": "C.UTF-8"}


@pytest.mark.parametrize("script", ["daily_check.py", "graduation_invite.py"])
def test_the_scripts_find_the_projects_environment_when_cron_runs_them(
    folder: Path, script: str
) -> None:
    if not (ROOT / ".venv" / "bin" / "python").is_file():
        pytest.skip("the project has no .venv here")
    done = subprocess.run(
        [_plain_python(), str(ROOT / "scripts" / script), "--now", NOW],
        capture_output=True,
        text=True,
        cwd=folder,
        env=_cron_env(),
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.startswith(
        "Trial run as of 2026-11-28 14:05 (--now): nothing is written to the sheet"
    )


@pytest.mark.parametrize("script", ["daily_check.py", "graduation_invite.py"])
def test_a_script_without_an_environment_says_in_one_line_what_to_run(
    tmp_path: Path, script: str
) -> None:
    (tmp_path / "scripts").mkdir()
    for name in (script, "_alumni.py"):
        (tmp_path / "scripts" / name).write_bytes((ROOT / "scripts" / name).read_bytes())
    python = _plain_python()
    done = subprocess.run(
        [python, str(tmp_path / "scripts" / script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_cron_env(),
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"alumni is not installed for {python} — in {tmp_path} run: "
        "python3 -m venv .venv && .venv/bin/pip install -e .\n"
    )
