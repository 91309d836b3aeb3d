"""The docs tell the truth: the sheet's layout, the commands, and the quick start."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alumni.cli import build_parser
from alumni.contract import TABS, Owner

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHEET_DOC = (ROOT / "docs" / "sheet.md").read_text(encoding="utf-8")
WRITTEN_BY = {Owner.SCRIPT: "tool", Owner.HUMAN: "people", Owner.FILL: "tool fills"}


def doc_tables() -> dict[str, list[list[str]]]:
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in SHEET_DOC.splitlines():
        if line.startswith("### "):
            current = line[4:].split(" (")[0]
            tables[current] = []
        elif current and line.startswith("| ") and not line.startswith("| Header"):
            tables[current].append([c.strip() for c in line.strip("|").split("|")])
    return tables


def test_the_sheet_doc_lists_every_tab_and_header_as_the_code_knows_them() -> None:
    tables = doc_tables()
    assert list(tables) == [t.name for t in TABS]
    for tab in TABS:
        rows = tables[tab.name]
        assert [(r[0], r[1]) for r in rows] == [(c.name, c.alias) for c in tab.columns], tab.name
        for row, column in zip(rows, tab.columns, strict=True):
            assert row[2].startswith(WRITTEN_BY[column.owner]), (tab.name, column.name)


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return list(action.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_a_readme_section_and_its_own_help(command: str) -> None:
    assert re.search(rf"^### `alumni {command}\b", README, re.MULTILINE), command
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([command, "--help"])
    assert info.value.code == 0


def test_the_quick_start_has_exactly_two_command_lines() -> None:
    start = README.index("## Quick start")
    section = README[start : README.index("\n## ", start + 1)]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    assert [b.count("\n") for b in blocks] == [1, 1]
    assert "alumni init --demo" in blocks[0] and "alumni daily" in blocks[0]
    assert "pytest" in blocks[1]


def test_the_readme_examples_of_check_messages_have_the_promised_shape() -> None:
    start = README.index("### `alumni check`")
    example = re.search(r"```console\n\$ alumni check\n(.*?)```", README[start:], re.DOTALL)
    assert example
    lines = example.group(1).splitlines()
    for line in lines[:-1]:
        assert re.match(r"^\w+!\w+\d+: .+ — .+$", line), line
