"""The package's shape: imports go one way through the layers of docs/architecture.md, nothing
imports in a circle, and the committee's words are written only in contract.py."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alumni.contract import Decision, Figure, InviteStatus, Role, Status, fold

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "alumni"

# --- the layers ----------------------------------------------------------------------------

FOUNDATION = "foundation"
SHEET, MAIL, LOCK = "sheet", "mail", "lock"
RULES, DOMAIN, JOBS, EDGE = "rules", "checks/demo/report", "jobs", "edge"

# Each group of modules and its height: a module may import its own group and lower ones,
# within the extra limits of `_broken_rule`.
RANK = {FOUNDATION: 0, SHEET: 1, MAIL: 1, LOCK: 1, RULES: 2, DOMAIN: 2, JOBS: 3, EDGE: 4}
GROUPS = {
    "alumni": FOUNDATION,  # the package's own __init__: a docstring
    "alumni.errors": FOUNDATION,
    "alumni.contract": FOUNDATION,
    "alumni.findings": FOUNDATION,
    "alumni.timeparse": FOUNDATION,
    "alumni.addresses": FOUNDATION,
    "alumni.config": FOUNDATION,
    "alumni.clock": FOUNDATION,
    "alumni.sheet": SHEET,
    "alumni.mail": MAIL,
    "alumni.lock": LOCK,
    "alumni.rules": RULES,
    "alumni.checks": DOMAIN,
    "alumni.demo": DOMAIN,
    "alumni.report": DOMAIN,
    "alumni.jobs": JOBS,
    "alumni.output": EDGE,
    "alumni.cli": EDGE,
    "alumni.__main__": EDGE,
    "alumni.schedule": EDGE,
}
FRONT = {"alumni.cli", "alumni.output", "alumni.schedule"}
"""Modules only the CLI may import (and `python -m alumni`, which imports the CLI)."""
COMPOSERS = ("alumni.jobs.daily", "alumni.jobs.overdue")
"""The jobs that may call other jobs: the daily run composes the day's steps, and both it and
the hourly deadline check read the mailbox (`jobs.mailbox`) before they judge deadlines."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def top(module: str) -> str:
    """The module or package directly under alumni: alumni.jobs.daily → alumni.jobs."""
    return ".".join(module.split(".")[:2])


def group(module: str) -> str | None:
    """The layer group of a module, by what it is under alumni (alumni.sheet.cells: sheet)."""
    return GROUPS.get(top(module))


# --- reading imports -----------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int

    def where(self) -> str:
        return f"{MODULES[self.source].relative_to(ROOT)}:{self.line}"


def _resolve(source: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name `from <dots><module>` means inside `source`."""
    if not level:
        return module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imports_in(source: str, text: str, is_package: bool = False) -> list[Import]:
    """Every import of an alumni module in `text`, at any depth: top level, inside functions,
    under `if TYPE_CHECKING:`, relative ones, and `importlib.import_module("alumni...")`."""
    found: list[Import] = []

    def add(target: str, line: int) -> None:
        if target == "alumni" or target.startswith("alumni."):
            found.append(Import(source, target, line))

    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(source, is_package, node.level, node.module)
            for alias in node.names:
                # `from alumni.sheet import cells` imports the module alumni.sheet.cells.
                sub = f"{base}.{alias.name}"
                add(sub if sub in MODULES else base, node.lineno)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                add(str(first.value), node.lineno)
    return list(dict.fromkeys(found))  # `from m import a, b` is one import of m


def all_imports() -> list[Import]:
    return [
        found
        for name, path in MODULES.items()
        for found in imports_in(name, path.read_text(encoding="utf-8"), path.stem == "__init__")
    ]


# --- the rules -----------------------------------------------------------------------------


def _broken_rule(source: str, target: str) -> str | None:
    """Which layering rule an import from `source` of `target` breaks, or None."""
    if source == target:
        return None
    src, dst = group(source), group(target)
    if src is None or dst is None:
        return None  # test_every_module_sits_in_a_layer names these
    front = top(target) in FRONT and top(source) != top(target)
    if front and source != "alumni.cli" and (source, target) != ("alumni.__main__", "alumni.cli"):
        return "only the CLI imports cli, output and schedule: they are the tool's front"
    if src == RULES and dst not in (FOUNDATION, RULES):
        return (
            "rules import the foundation only (errors, contract, findings, timeparse, addresses,"
            " config, clock): they are pure, so no sheet, mail, checks or jobs"
        )
    if src == RULES and dst == RULES and target != "alumni.rules":
        return "rules import the foundation only, not each other: what they share goes there"
    if src == EDGE and dst == RULES:
        return "the front calls jobs, not rules: a rule's result reaches it in a job's result"
    if src == JOBS and dst == JOBS and source not in COMPOSERS and target != "alumni.jobs":
        return "a job imports no other job: only jobs.daily and jobs.overdue compose jobs"
    if RANK[dst] > RANK[src]:
        return f"{src} sits below {dst}: imports go down the layers only"
    if RANK[dst] == RANK[src] and src != dst and not (src == DOMAIN and dst == RULES):
        return f"{src} and {dst} sit side by side and never import each other"
    return None


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_module_sits_in_a_layer() -> None:
    lost = [f"{path.relative_to(ROOT)}" for name, path in MODULES.items() if group(name) is None]
    assert not lost, (
        "modules in no layer; add them to GROUPS here and to docs/architecture.md:\n"
        + "\n".join(lost)
    )


def test_imports_follow_the_layers() -> None:
    broken = [
        f"{found.where()}: {found.source} imports {found.target}: {rule}"
        for found in all_imports()
        if (rule := _broken_rule(found.source, found.target)) is not None
    ]
    if broken:
        pytest.fail(
            f"{len(broken)} import(s) against docs/architecture.md:\n" + "\n".join(broken),
            pytrace=False,
        )


def test_nothing_imports_in_a_circle() -> None:
    found = all_imports()
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for imp in found:
        if imp.target in MODULES and imp.target != imp.source:
            edges[imp.source].add(imp.target)
    cycles = _cycles(edges)
    if cycles:
        lines = []
        for members in cycles:
            inside = set(members)
            lines.append("a circle between " + ", ".join(members) + ":")
            lines.extend(
                f"  {imp.where()}: {imp.source} imports {imp.target}"
                for imp in found
                if imp.source in inside and imp.target in inside and imp.source != imp.target
            )
        pytest.fail("\n".join(lines), pytrace=False)


# --- the committee's words -----------------------------------------------------------------

WORDS = {
    f"{kind.__name__}.{name}": value
    for kind in (Status, Decision, InviteStatus, Role, Figure)
    for name, value in vars(kind).items()
    if not name.startswith("_") and isinstance(value, str)
}

ALLOWED: dict[tuple[str, str], str] = {}
"""(file, literal) pairs that may stay, each with the reason why; keep it short."""


def _key(text: str) -> str:
    """A literal as compared with the words: folded, any {placeholder} as {}."""
    return fold(re.sub(r"\{[^{}]*\}", "{}", text))


_BY_KEY = {_key(value): name for name, value in WORDS.items()}


def literals_in(text: str) -> Iterator[tuple[int, str]]:
    """Every string a module's code uses as a value, with its line; docstrings (any string that
    stands alone as a statement) are left out, and an f-string is one text with {} for each
    value it formats."""
    tree = ast.parse(text)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            skip.add(id(node.value))
        if isinstance(node, ast.JoinedStr):
            skip.update(id(part) for part in node.values)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            parts = (p.value if isinstance(p, ast.Constant) else "{}" for p in node.values)
            yield node.lineno, "".join(str(p) for p in parts)


def test_the_committees_words_are_written_only_in_contract_py() -> None:
    found = []
    for name, path in MODULES.items():
        if name == "alumni.contract":
            continue
        where = str(path.relative_to(ROOT))
        for line, text in literals_in(path.read_text(encoding="utf-8")):
            word = _BY_KEY.get(_key(text))
            if word is not None and (where, text) not in ALLOWED:
                found.append(f"{where}:{line}: {text!r} is contract.{word}; use the name")
    if found:
        pytest.fail(
            f"{len(found)} of the committee's words written out of contract.py:\n"
            + "\n".join(found),
            pytrace=False,
        )


def test_every_allowed_literal_is_still_there() -> None:
    for where, text in ALLOWED:
        module = (ROOT / where).read_text(encoding="utf-8")
        assert text in {t for _, t in literals_in(module)}, f"{where}: {text!r} is gone"


# --- the scanners themselves ---------------------------------------------------------------


def test_the_import_scanner_sees_local_relative_and_dynamic_imports() -> None:
    text = """
import json
from alumni import timeparse
from alumni.sheet import cells
import alumni.mail.journal as journal
from . import deadlines
from ..jobs.daily import run
if TYPE_CHECKING:
    from alumni.checks import check_workbook
def later():
    from alumni.jobs.status import run
    importlib.import_module("alumni.cli")
"""
    found = sorted((i.line, i.target) for i in imports_in("alumni.rules.votes", text))
    assert found == [
        (3, "alumni.timeparse"),
        (4, "alumni.sheet.cells"),
        (5, "alumni.mail.journal"),
        (6, "alumni.rules.deadlines"),
        (7, "alumni.jobs.daily"),
        (9, "alumni.checks"),
        (11, "alumni.jobs.status"),
        (12, "alumni.cli"),
    ]


@pytest.mark.parametrize(
    ("source", "target", "broken"),
    [
        ("alumni.rules.deadlines", "alumni.contract", False),
        ("alumni.rules.deadlines", "alumni.checks", True),
        ("alumni.rules.invitations", "alumni.mail.journal", True),
        ("alumni.rules.votes", "alumni.sheet.workbook", True),
        ("alumni.rules.compliance", "alumni.rules.invitations", True),
        ("alumni.timeparse", "alumni.sheet.cells", True),
        ("alumni.sheet.cells", "alumni.contract", False),
        ("alumni.sheet.xlsx", "alumni.mail.message", True),
        ("alumni.mail.message", "alumni.sheet.cells", True),
        ("alumni.lock", "alumni.sheet.store", True),
        ("alumni.report", "alumni.rules.deadlines", False),
        ("alumni.report", "alumni.sheet.workbook", False),
        ("alumni.checks", "alumni.jobs.check", True),
        ("alumni.jobs.daily", "alumni.jobs.status", False),
        ("alumni.jobs.invite", "alumni.jobs.daily", True),
        ("alumni.jobs.overdue", "alumni.jobs.mailbox", False),
        ("alumni.jobs.status", "alumni.output.text", True),
        ("alumni.jobs.status", "alumni.cli", True),
        ("alumni.output.text", "alumni.jobs.status", False),
        ("alumni.output.text", "alumni.output.sheet", False),
        ("alumni.output.text", "alumni.schedule", True),
        ("alumni.schedule", "alumni.cli", True),
        ("alumni.cli", "alumni.output.text", False),
        ("alumni.cli", "alumni.rules.deadlines", True),
        ("alumni.output.text", "alumni.rules.compliance", True),
        ("alumni.cli", "alumni.sheet.open", False),
        ("alumni.cli", "alumni.schedule", False),
        ("alumni.__main__", "alumni.cli", False),
    ],
)
def test_the_layering_rules(source: str, target: str, broken: bool) -> None:
    assert (_broken_rule(source, target) is not None) is broken


def test_a_new_module_outside_the_known_folders_has_no_layer() -> None:
    assert group("alumni.sheet.cells") == SHEET
    assert group("alumni") == FOUNDATION
    assert group("alumni.gadget") is None


def test_the_cycle_finder_finds_circles_and_only_those() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_literal_scanner_skips_docstrings_and_reads_f_strings() -> None:
    text = '''"""Module doc: Försenad."""
def f(year):
    """Function doc: skickad."""
    x = "Godkänn"
    """An attribute's doc: Avslå."""
    return f"Inbjudningar {year}, skickade", f"{x} avslå"
'''
    keys = {_key(t): line for line, t in literals_in(text)}
    assert _BY_KEY.get(_key("Godkänn")) == "Decision.APPROVE"
    assert _BY_KEY[_key("Inbjudningar {year}, skickade")] == "Figure.INVITATIONS_SENT"
    assert keys[_key("Godkänn")] == 4
    assert keys[_key("Inbjudningar {}, skickade")] == 6
    assert _key("Försenad") not in keys and _key("skickad") not in keys
    assert _key("Avslå") not in keys  # only part of an f-string, which is a sentence
