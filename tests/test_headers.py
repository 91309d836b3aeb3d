"""Specifications of the header classes: taking the tool's own values as they are changes no byte.

`alumni.mail.headers` skips the standard library's parse for values of the shapes this tool
writes. The reference here is the same build with every header parsed in full (the registry as
it was before that shortcut); both must give the same message, byte for byte.
"""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime, timedelta, timezone
from email import headerregistry
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alumni.mail.message as message_module
from alumni.mail.headers import KEY_HEADER, POLICY, _AddressHeader, _q_cost, _q_encode, _TextHeader
from alumni.mail.message import build_message, wire_bytes


def _full_parse_registry() -> headerregistry.HeaderRegistry:
    registry = headerregistry.HeaderRegistry()
    for name in ("from", "to", "reply-to", "cc", "bcc"):
        registry.map_to_type(name, _AddressHeader)
    for name in ("subject", KEY_HEADER.lower()):
        registry.map_to_type(name, _TextHeader)
    return registry


FULL_PARSE = email.policy.SMTP.clone(header_factory=_full_parse_registry())
MESSAGE_ID = "<176450430000.4242.1234567890123456789@example.org>"


def built_both_ways(monkeypatch: pytest.MonkeyPatch, **fields: Any) -> tuple[bytes, bytes]:
    """The message's bytes with the tool's policy and with the full parse (same Message-ID and
    boundary, which are otherwise random)."""
    monkeypatch.setattr(message_module, "make_msgid", lambda domain: MESSAGE_ID)
    quick = build_message(**fields)
    ours = wire_bytes(quick)
    with monkeypatch.context() as m:
        m.setattr(message_module, "POLICY", FULL_PARSE)
        full = build_message(**fields)
    if quick.is_multipart():
        full.set_boundary(quick.get_boundary())
    return ours, wire_bytes(full)


ADDRESSES = ["alumni@example.org", "a.b+c@sub.example.se", "x_y%z@xn--hrby-5qa.se", "asa@hörby.se"]
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=90)
plain_names = st.sampled_from(["", "Anna", "Alumniutskottet, I-sektionen", 'Sven "Nisse" Berg'])
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)


@settings(max_examples=300, deadline=None)
@given(
    sender_name=plain_names | names,
    to_name=plain_names | names,
    to_address=st.sampled_from(ADDRESSES),
    subject=names,
    text=texts,
    html=st.none() | texts,
    reply_to=st.lists(st.tuples(names, st.sampled_from(ADDRESSES)), max_size=3),
    key=st.none() | names,
    tz=st.sampled_from([None, "Europe/Stockholm", "America/St_Johns"]),
)
def test_every_message_is_the_same_bytes_as_with_the_full_parse(
    sender_name: str,
    to_name: str,
    to_address: str,
    subject: str,
    text: str,
    html: str | None,
    reply_to: list[tuple[str, str]],
    key: str | None,
    tz: str | None,
) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        ours, full = built_both_ways(
            monkeypatch,
            sender_name=sender_name,
            sender_address="alumni@example.org",
            to_name=to_name,
            to_address=to_address,
            subject=subject,
            text=text,
            html=html,
            reply_to=reply_to,
            now=datetime(2026, 11, 28, 14, 5, tzinfo=UTC),
            tz=tz,
            key=key,
        )
    assert ours == full
    # The boundary chosen by the tool is in no part: each part's text comes back whole.
    parsed = email.message_from_bytes(ours, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    for kind, sent in (("plain", text), ("html", html)):
        part = parsed.get_body((kind,))
        if sent is None:
            assert part is None or kind == "plain"
            continue
        assert isinstance(part, EmailMessage)
        lines = sent.encode("utf-8").splitlines()
        got = str(part.get_content()).replace("\r\n", "\n")  # the wire's line ends
        assert got == (b"\n".join(lines) + b"\n").decode("utf-8")


def _body_by_the_content_manager(message: EmailMessage, text: str, html: str | None) -> None:
    """The body as the standard library's content manager makes it: the reference."""
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.make_alternative(boundary=message_module._boundary())
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        for part in message.iter_parts():  # set_content stamps each part it makes
            del part["MIME-Version"]


@settings(max_examples=300, deadline=None)
@given(
    text=texts | st.text(st.sampled_from("a å.=\t \r\n"), max_size=300),
    html=st.none() | texts | st.text(st.sampled_from("<p>å.= \r\n"), max_size=300),
)
def test_the_body_is_the_same_bytes_as_the_content_manager_makes(
    text: str, html: str | None
) -> None:
    fields: dict[str, Any] = dict(
        sender_name="Alumniutskottet",
        sender_address="alumni@example.org",
        to_name="Åsa Öberg",
        to_address="asa@example.se",
        subject="Ämne",
        text=text,
        html=html,
        now=datetime(2026, 11, 28, 14, 5, tzinfo=UTC),
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(message_module, "make_msgid", lambda domain: MESSAGE_ID)
        ours = build_message(**fields)
        monkeypatch.setattr(message_module, "_set_body", _body_by_the_content_manager)
        reference = build_message(**fields)
    if ours.is_multipart():
        reference.set_boundary(ours.get_boundary())
    assert wire_bytes(ours) == wire_bytes(reference)
    assert [(k, str(v)) for k, v in ours.items()] == [(k, str(v)) for k, v in reference.items()]


def test_the_invitation_is_the_same_bytes_as_with_the_full_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours, full = built_both_ways(
        monkeypatch,
        sender_name="Alumniutskottet, I-sektionen",
        sender_address="alumniutskottet@isektionen.se",
        to_name="Åsa Öberg",
        to_address="asa.oberg@example.se",
        subject="Inbjudan till I-sektionens alumnnätverk på LinkedIn",
        text="Hej Åsa,\n\nVälkommen!\n",
        html="<p>Hej Åsa,</p>",
        reply_to=[("Ordförande", "ordf@isektionen.se")],
        now=datetime(2026, 11, 28, 14, 5, tzinfo=UTC),
        tz="Europe/Stockholm",
        key="invite:AK-0001:0123456789ab",
    )
    assert ours == full


# Each header the shortcut takes as it is, and values of other shapes, which it parses in full:
# the header object must read the same either way.
HEADERS = [
    ("MIME-Version", "1.0", ("version", "major", "minor")),
    ("MIME-Version", "1.1", ("version", "major", "minor")),
    ("MIME-Version", "1.0 (comment)", ("version", "major", "minor")),
    ("Content-Type", "text/plain", ("content_type", "maintype", "subtype", "params")),
    ("Content-Type", 'text/plain; charset="utf-8"', ("content_type", "params")),
    ("Content-Type", 'text/html; charset="utf-8"', ("content_type", "params")),
    (
        "Content-Type",
        'multipart/alternative; boundary="===============2793085069202697816=="',
        ("content_type", "params"),
    ),
    ("Content-Type", "text/plain; charset=utf-8", ("content_type", "params")),
    ("Content-Type", "TEXT/Plain; CHARSET=UTF-8", ("content_type", "params")),
    ("Content-Type", 'text/plain; name="a b.txt"', ("content_type", "params")),
    ("Content-Type", "application/pdf", ("content_type", "params")),
    ("Content-Transfer-Encoding", "quoted-printable", ("cte",)),
    ("Content-Transfer-Encoding", "base64", ("cte",)),
    ("Content-Transfer-Encoding", "Quoted-Printable", ("cte",)),
    ("Content-Transfer-Encoding", "x-token", ("cte",)),
    ("Message-ID", MESSAGE_ID, ()),
    ("Message-ID", "<a b@example.org>", ()),
    ("Message-ID", "<1.2@" + "d" * 80 + ".org>", ()),
    ("Date", datetime(2026, 11, 28, 14, 5, tzinfo=ZoneInfo("Europe/Stockholm")), ("datetime",)),
    ("Date", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-3.5))), ("datetime",)),
    ("Date", "Sat, 28 Nov 2026 15:05:00 +0100", ("datetime",)),
    ("Date", "not a date", ("datetime",)),
    ("Subject", "Inbjudan till I-sektionens alumnnätverk på LinkedIn", ()),
    ("Subject", "", ()),
    ("To", headerregistry.Address("Åsa, Öberg", "asa", "example.se"), ("addresses",)),
    ("To", "Åsa Öberg <asa@example.se>, b@example.org", ("addresses",)),
]


@pytest.mark.parametrize(("name", "value", "attributes"), HEADERS)
def test_a_header_reads_and_folds_as_when_parsed_in_full(
    name: str, value: Any, attributes: tuple[str, ...]
) -> None:
    ours = POLICY.header_factory(name, value)
    full = FULL_PARSE.header_factory(name, value)
    assert str(ours) == str(full)
    assert ours.fold(policy=POLICY) == full.fold(policy=FULL_PARSE)
    for attribute in attributes:
        assert getattr(ours, attribute) == getattr(full, attribute), attribute


def test_a_message_with_the_shortcut_still_reads_as_a_standard_message() -> None:
    message = build_message(
        sender_name="Alumniutskottet",
        sender_address="alumni@example.org",
        to_name="Åsa",
        to_address="asa@example.se",
        subject="Hej",
        text="Hej Åsa\n",
        html="<p>Hej Åsa</p>",
        now=datetime(2026, 11, 28, 14, 5, tzinfo=UTC),
    )
    assert isinstance(message, EmailMessage)
    assert message["Content-Type"].content_type == "multipart/alternative"
    assert message["To"].addresses[0].addr_spec == "asa@example.se"
    assert message["Date"].datetime == datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
    plain = message.get_body(("plain",))
    assert plain is not None and plain.get_content() == "Hej Åsa\n"
    assert plain["Content-Type"].params == {"charset": "utf-8"}


@given(st.characters(codec="utf-8", exclude_categories=("Cs",)))
def test_a_characters_q_cost_is_its_length_encoded(ch: str) -> None:
    assert _q_cost(ch) == len(_q_encode(ch.encode("utf-8")))
