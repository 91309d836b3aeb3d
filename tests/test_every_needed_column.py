"""A missing column is not an empty column: for every column every rule reads, a sheet without
that header makes the rule judge nothing on that tab, say so by name, and exit 1 — and nothing
people typed changes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alumni.cli import run
from alumni.contract import TABS_BY_NAME
from tests.fakes.smtp_server import FakeSmtpServer
from tests.helpers import NOW, demo_folder, people_cells
from tests.test_mailbox import with_mailbox

# Each rule module declares RULE (its name in messages) and NEEDS (tab -> columns it reads),
# or, for a module of several rules, rule name -> tab -> columns; the command runs the rule
# as the committee would, sending or applying where it can.
RULES = {
    "deadlines": ["overdue", "--send"],
    "eligibility": ["applicants"],
    "votes": ["votes"],
    "compliance": ["status"],
    "purge": ["purge", "--apply"],
    "invitations": ["invite", "--send"],
    "replies": ["mailbox"],  # with a real mailbox (Dovecot) to read
}


def needs() -> list[tuple[str, list[str], str, str, str]]:
    """(module, command, rule name, tab, column) for every column every rule reads."""
    cases = []
    for module, command in RULES.items():
        rule = importlib.import_module(f"alumni.rules.{module}")
        by_rule = {rule.RULE: rule.NEEDS} if hasattr(rule, "RULE") else dict(rule.NEEDS)
        for name, tabs in by_rule.items():
            for tab, columns in tabs.items():
                cases.extend((module, command, name, tab, column) for column in columns)
    return cases


def test_every_rule_module_is_covered() -> None:
    import alumni.rules

    modules = {p.stem for p in Path(alumni.rules.__file__).parent.glob("*.py")} - {"__init__"}
    assert modules == set(RULES)


def test_every_needed_column_is_a_contract_column() -> None:
    for _, _, _, tab, column in needs():
        assert TABS_BY_NAME[tab].column(column).name == column


@pytest.mark.parametrize(("module", "command", "rule", "tab", "column"), needs())
def test_without_the_header_the_rule_judges_nothing_and_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: FakeSmtpServer,
    request: pytest.FixtureRequest,
    module: str,
    command: list[str],
    rule: str,
    tab: str,
    column: str,
) -> None:
    demo_folder(tmp_path, monkeypatch, smtp_server)
    if command[0] == "mailbox":
        dovecot = request.getfixturevalue("dovecot")
        with_mailbox(tmp_path, dovecot)
        monkeypatch.setenv("ALUMNI_IMAP_PASSWORD", dovecot.password)
    path = tmp_path / "alumni.xlsx"
    book = load_workbook(path)
    ws = book[tab]
    cell = next(c for c in ws[1] if c.value == column)
    cell.value = "x"  # as if someone had retyped the header
    book.save(path)
    before = people_cells(path)
    capsys.readouterr()

    code = run(["--now", NOW, "--for-real", *command])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"{rule} judged nothing on this tab: the header '{column}' is missing" in out + err
    if command[0] == "invite":
        assert smtp_server.messages == []  # nobody is invited on a guess
    after = people_cells(path)
    assert {k for k in before if before[k] != after.get(k)} <= {
        k
        for k in before
        if before[k] is None  # only empty ID cells may be filled
    }
