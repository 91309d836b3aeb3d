"""Says what in the settings and templates is not ready for real mail: example values, blanks.

`--send` and `--test-to` ask it before anything is read, written or sent; a dry run shows its
first finding as a note. It looks at the committee's own settings and templates only, never at
the people in the sheet: an address there is checked where it is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alumni.config import Config, InviteConfig, MailConfig
from alumni.mail.render import TemplateProblem, Templates

EXAMPLE_GROUP = "/groups/0000000"
"""The made-up LinkedIn group of config.example.toml's sign-up link."""

# RFC 2606 and RFC 6761: names that never reach anyone. `example.<any ending>` is taken as
# an example too (example.se is nobody's committee).
_RESERVED_ENDINGS = ("example", "invalid", "test", "localhost")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@((?:[\w-]+\.)*[\w-]+)")
_URL = re.compile(r"https?://([^/\s\"'<>:]+)[^\s\"'<>]*")

MAIL_COMMANDS = ("invite", "contact", "daily", "overdue", "schedule")
"""The commands that send mail, and so the ones whose --send this check guards."""


def example_domain(domain: str) -> bool:
    """Whether `domain` is reserved for examples and documentation (example.org, x.test, …)."""
    labels = domain.lower().rstrip(".").split(".")
    return labels[-1] in _RESERVED_ENDINGS or (len(labels) > 1 and labels[-2] == "example")


def example_address(address: str) -> bool:
    """Whether `address` is at a domain reserved for examples."""
    return "@" in address and example_domain(address.rsplit("@", 1)[1])


def example_link(link: str) -> bool:
    """Whether `link` is the made-up sign-up link or points at an example domain."""
    match = _URL.match(link.strip())
    return EXAMPLE_GROUP in link or (match is not None and example_domain(match.group(1)))


@dataclass(frozen=True)
class NotReady:
    """One setting or template that must change before real mail goes out."""

    where: str  # "[mail] from_address in config.toml", "templates/x.sv.j2"
    what: str  # "is still the example 'alumni@example.org'"
    fix: str  # "write the committee's real address"

    def __str__(self) -> str:
        return f"{self.where} {self.what}: {self.fix}"


def not_ready(config: Config, command: str) -> list[NotReady]:
    """Everything that stops `command --send` from sending real mail, in the order to fix it."""
    if command not in MAIL_COMMANDS:
        return []
    found = list(_settings(config, command))
    for message, context in _samples(config, command):
        found.extend(_template(config, message, context))
    return found


def _settings(config: Config, command: str) -> Iterator[NotReady]:
    mail, default_mail = config.mail, MailConfig()

    def setting(section: str, key: str, what: str, fix: str) -> NotReady:
        if config.source is None:
            return NotReady(
                f"[{section}] {key}",
                what,
                f"{fix} (there is no config.toml yet: copy config.example.toml to config.toml)",
            )
        return NotReady(f"[{section}] {key} in {config.source.name}", what, fix)

    def example(value: str, default: str) -> str:
        if value == default:
            return f"is still the example {value!r}"
        return f"{value!r} is an example that reaches nobody"

    if not mail.from_address:
        yield setting("mail", "from_address", "is empty", "write the committee's real address")
    elif example_address(mail.from_address):
        yield setting(
            "mail",
            "from_address",
            example(mail.from_address, default_mail.from_address),
            "write the committee's real address",
        )
    if command == "contact" and example_address(mail.committee_address):
        # First contacts ask for replies there (Reply-To): an example would lose them.
        yield setting(
            "mail",
            "committee_address",
            example(mail.committee_address, default_mail.committee_address),
            "write the committee's shared mailbox, or leave it empty to use from_address",
        )
    if not mail.from_name.strip():
        yield setting(
            "mail",
            "from_name",
            "is empty",
            f"write the name recipients see, e.g. {default_mail.from_name!r}",
        )
    if not mail.signature.strip():
        yield setting("mail", "signature", "is empty", "write the committee's signature")
    if mail.backend == "smtp" and (not config.smtp.host or example_domain(config.smtp.host)):
        what = "is empty" if not config.smtp.host else f"{config.smtp.host!r} is an example"
        yield setting("smtp", "host", what, "write your mail server, e.g. 'smtp.gmail.com'")
    business = config.deadlines.naringslivsansvarig
    if command in ("daily", "overdue", "schedule") and business and example_address(business):
        yield setting(
            "deadlines",
            "naringslivsansvarig",
            example(business, ""),
            "write the Näringslivsansvarig's real address, or leave it empty",
        )
    if command == "invite":
        invite, default_invite = config.invite, InviteConfig()
        if not invite.signup_link.strip():
            yield setting(
                "invite",
                "signup_link",
                "is empty",
                "write the link to the section's LinkedIn alumni group",
            )
        elif example_link(invite.signup_link):
            yield setting(
                "invite",
                "signup_link",
                example(invite.signup_link, default_invite.signup_link),
                "write the link to the section's LinkedIn alumni group",
            )
        if invite.form_link and example_link(invite.form_link):
            yield setting(
                "invite",
                "form_link",
                example(invite.form_link, ""),
                "write the link to the real form, or leave it empty",
            )


def _samples(config: Config, command: str) -> list[tuple[str, dict[str, Any]]]:
    # One made-up row each, with what the jobs take from the config; the people are made up
    # at a real-looking domain so that only the template's own text can be an example.
    committee = {"committee": config.mail.from_name, "signature": config.mail.signature}
    if command == "invite":
        invitation = {
            "name": "Anna Andersson",
            "year": 2026,
            "signup_link": config.invite.signup_link,
            "form_link": config.invite.form_link,
            **committee,
        }
        return [("graduation_invite", invitation)]
    if command == "contact":
        contact = {
            "name": "Anna Andersson",
            "project": "Mentorskap",
            "company": "Företaget AB",
            "title": "Inköpschef",
            "person": "Bo Berg",
            "person_email": "bo.berg@sektionen.se",
            **committee,
        }
        return [("alumni_contact", contact)]
    return []


def _template(config: Config, message: str, context: dict[str, Any]) -> Iterator[NotReady]:
    templates = Templates(config.mail.templates)
    settings = {str(v) for v in context.values() if isinstance(v, str) and v}
    for language in ("sv", "en"):
        name = templates.file_name(message, language)
        path = templates.folder / name
        if not path.is_file():
            continue
        try:
            rendered = templates.render(message, language, context)
        except TemplateProblem:
            continue  # the job names the template and the row
        where = _shown(path)
        if not rendered.subject:
            yield NotReady(where, "renders an empty subject", "write the subject in the template")
        body = "\n".join([rendered.subject, rendered.text, rendered.html or ""])
        for example in _examples(body):
            # An example that comes from a setting is named there, once.
            if not any(example in value for value in settings):
                yield NotReady(
                    where,
                    f"still contains the example {example!r}",
                    "write the real text in the template",
                )


def _examples(text: str) -> list[str]:
    found: list[str] = []
    for match in _ADDRESS.finditer(text):
        if example_domain(match.group(1)):
            found.append(match.group(0))
    for match in _URL.finditer(text):
        if EXAMPLE_GROUP in match.group(0) or example_domain(match.group(1)):
            found.append(match.group(0))
    return list(dict.fromkeys(found))


def _shown(path: Path) -> str:
    # The templates folder as the committee knows it: relative to where they stand, if it is.
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
