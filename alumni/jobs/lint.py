"""The `lint` job: e-mail templates checked for informal language, by file and line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alumni.config import Config
from alumni.errors import ConfigError
from alumni.mail.lint import LintFinding, lint_template_file, load_word_lists
from alumni.sheet.store import Store


@dataclass(frozen=True)
class LintResult:
    """How many templates were checked and what was found in them."""

    checked: int
    findings: list[LintFinding]

    @property
    def found_problems(self) -> bool:
        return bool(self.findings)


def run(
    config: Config,
    store: Store,
    now: pd.Timestamp,
    *,
    templates: Sequence[str | Path] = (),
) -> LintResult:
    """Lint the given template files, or every template in the templates folder; the sheet is
    not read. ConfigError names a file that does not exist."""
    lists = load_word_lists(config.mail.templates / "lint")
    paths = [Path(p) for p in templates] or sorted(config.mail.templates.glob("*.j2"))
    findings: list[LintFinding] = []
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path}: no such template file.")
        findings += lint_template_file(path, lists)
    return LintResult(len(paths), findings)
