"""Renders the committee's e-mail templates (Jinja2, one file per message and language)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from markupsafe import Markup, escape


class TemplateProblem(Exception):
    """A template cannot be rendered for a row: missing file, bad syntax, undefined variable."""


@dataclass(frozen=True)
class Rendered:
    """One rendered message: a one-line subject, the plain text, and the HTML part if any."""

    subject: str
    text: str
    html: str | None


class Templates:
    """The templates folder. A file `<message>.<language>.j2` defines the blocks `subject`,
    `text` and optionally `html`; only the HTML block is autoescaped.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        options: dict[str, Any] = {
            "loader": FileSystemLoader(self.folder),
            "undefined": StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
            # Each run makes its own Templates: a template is read once a run, not checked
            # for changes on the disk before every message.
            "auto_reload": False,
        }
        self._text = Environment(autoescape=False, **options)
        self._html = Environment(autoescape=True, **options)
        for env in (self._text, self._html):
            env.filters["nl2br"] = nl2br

    def file_name(self, message: str, language: str) -> str:
        return f"{message}.{language}.j2"

    def _load(self, env: Environment, name: str) -> Template:
        try:
            return env.get_template(name)
        except TemplateNotFound as exc:
            raise TemplateProblem(f"there is no template {self.folder / name}") from exc
        except TemplateSyntaxError as exc:
            raise TemplateProblem(f"{name} line {exc.lineno}: {exc.message}") from exc

    def render(self, message: str, language: str, context: Mapping[str, Any]) -> Rendered:
        """Render one message in one language; every problem becomes a TemplateProblem."""
        name = self.file_name(message, language)
        text_template = self._load(self._text, name)
        missing = {"subject", "text"} - set(text_template.blocks)
        if missing:
            blocks = " and ".join(f"{{% block {b} %}}" for b in sorted(missing))
            raise TemplateProblem(f"{name} has no {blocks}")
        try:
            subject = _block(text_template, "subject", context)
            text = _block(text_template, "text", context)
            html = None
            if "html" in text_template.blocks:
                html = _block(self._load(self._html, name), "html", context)
        except TemplateError as exc:
            raise TemplateProblem(f"{name}: {exc.message or exc}") from exc
        subject = re.sub(r"\s+", " ", subject).strip()
        return Rendered(subject, text.strip() + "\n", html.strip() + "\n" if html else None)


def nl2br(value: object) -> Markup:
    """Escaped text with its line breaks as <br>, for the HTML part (the signature)."""
    return Markup("<br>\n").join(escape(str(value)).split("\n"))


def _block(template: Template, block: str, context: Mapping[str, Any]) -> str:
    return "".join(template.blocks[block](template.new_context(dict(context))))
