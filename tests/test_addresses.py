"""One e-mail address validator: what `alumni check` accepts is what the mail layer sends to."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alumni.addresses import check_address, is_email
from alumni.mail.message import build_message, wire_bytes
from alumni.sheet.cells import clean_text, is_blank, parse_emails

NOW = datetime(2026, 11, 28, 7, 0, tzinfo=ZoneInfo("Europe/Stockholm"))

# Characters a typist or a paste can put in an address, good and bad, to build near-misses.
_PIECES = st.sampled_from(
    [
        *"abcxyzABC019._-+'!#$%&*/=?^`{|}~",
        *"@@@...",
        *' ,;:<>()[]\\"',
        *"åäöÅÖéüß",
        *"\t\r\n\x00\x7f\x85\xa0\u200b\u2028\u3000\ufeff\u00ad",
        *"\u3002\uff0e\uff61\uff20\uff0c\uff1c\uff41",  # IDNA dots and full-width forms
        "=?",
        "?=",
        "=?utf-8?q?a?=",
        "xn--",
        ".se",
        ".com",
        ".s",
        ".123",
        "example",
        "hörby",
        "\ud800",
    ]
)
NEAR_MISSES = st.lists(_PIECES, max_size=12).map("".join)
ADDRESS_LIKE = st.builds(
    lambda local, domain, tld: f"{local}@{domain}{tld}",
    NEAR_MISSES,
    NEAR_MISSES,
    st.sampled_from([".se", ".com", ".s", ".c0m", "", ".", ".SE", ".рф"]),
)
ANY_TEXT = st.one_of(st.text(), NEAR_MISSES, ADDRESS_LIKE, st.emails())


def send_to(address: str) -> EmailMessage:
    """A message to `address` as the mail layer builds it, read back from its wire bytes."""
    message = build_message(
        sender_name="Alumnikommittén",
        sender_address="alumni@example.org",
        to_name="Åsa Öberg",
        to_address=address,
        subject="Välkommen",
        text="Hej!\n",
        now=NOW,
    )
    parsed = email.message_from_bytes(wire_bytes(message), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def mail_layer_takes(address: str) -> bool:
    try:
        parsed = send_to(address)
    except ValueError:
        return False
    # Taken means sent to the very address the validator names, and to nobody else.
    recipients = [a.addr_spec for a in parsed["To"].addresses]
    assert recipients == [check_address(address)], (address, recipients)
    # The envelope takes the same text, and smtp.py speaks no SMTPUTF8: ASCII only.
    assert recipients[0].isascii()
    return True


@settings(max_examples=1500, deadline=None)
@given(ANY_TEXT)
@example("asa@example.se")
@example("asa@hörby.se")
@example("=?utf-8?q?a?=@example.se")
@example("asa@ex\uff20ample.se")
@example("asa@ex\u00a0ample.se")
@example("asa@example\u3002se")
def test_is_email_exactly_when_the_mail_layer_can_send(text: str) -> None:
    assert is_email(text) == mail_layer_takes(text)


@settings(max_examples=800, deadline=None)
@given(st.one_of(ANY_TEXT, st.integers(), st.floats()))
def test_alumni_check_flags_exactly_what_the_mail_layer_refuses(value: object) -> None:
    # `alumni check` reads E-post cells with parse_emails: a cell it lets through is one the
    # mail layer sends to, once the cell's surrounding blanks are stripped as everywhere.
    parsed, bad = parse_emails(pd.Series([value], dtype=object))
    if is_blank(value):
        assert not bad.iat[0]
        return
    assert bool(bad.iat[0]) == (not mail_layer_takes(clean_text(value)))
    assert parsed.iat[0] == clean_text(value)


@pytest.mark.parametrize(
    ("address", "sent_as"),
    [
        ("anna@example.se", "anna@example.se"),
        ("Anna.Svensson@Student.LTU.se", "Anna.Svensson@Student.LTU.se"),
        ("first.last+alumni@mail.example.com", "first.last+alumni@mail.example.com"),
        ("o'brien@example.co.uk", "o'brien@example.co.uk"),
        ("asa@hörby.se", "asa@xn--hrby-5qa.se"),
        ("asa@example\u3002se", "asa@example.se"),
    ],
)
def test_good_addresses_come_back_as_sent(address: str, sent_as: str) -> None:
    assert check_address(address) == sent_as
    assert is_email(address)


# Typical typos, each with the words of the reason that tell a person what to fix.
TYPOS = [
    ("", "an e-mail address is missing"),
    ("anna.example.se", "it needs exactly one @"),
    ("anna@@example.se", "it needs exactly one @"),
    ("anna@example.se@example.se", "it needs exactly one @"),
    ("anna@", "text is missing around the @"),
    ("@example.se", "text is missing around the @"),
    ("anna@example", "the part after the @ needs a dot"),
    ("anna@examplese", "the part after the @ needs a dot"),
    ("anna@example.s", "two or more letters, as in .se"),
    ("anna@example.123", "two or more letters, as in .se"),
    ("anna@example..se", "misplaced dot after the @"),
    ("anna@.example.se", "misplaced dot after the @"),
    ("anna@example.se.", "misplaced dot after the @"),
    ("anna.@example.se", "misplaced dot before the @"),
    (".anna@example.se", "misplaced dot before the @"),
    ("anna..svensson@example.se", "misplaced dot before the @"),
    ("anna svensson@example.se", "it contains ' '"),
    (" anna@example.se", "it contains ' '"),
    ("anna@example,se", "it contains ','"),
    ("anna@example.se, bo@example.se", "it contains ' ', ','"),
    ("anna@example.se;bo@example.se", "it contains ';'"),
    ("Anna <anna@example.se>", "it contains ' ', '<', '>'"),
    ("<anna@example.se>", "it contains '<', '>'"),
    ("mailto:anna@example.se", "it contains ':'"),
    ('"anna"@example.se', "it contains '\"'"),
    ("anna(at)example.se", "it contains '(', ')'"),
    ("anna@example.se\r\nBcc: evil@example.com", "it contains '\\n', '\\r', ' ', ':'"),
    ("anna@exa\u200bmple.se", "it contains '\\u200b'"),
    ("anna@exa\u00a0mple.se", "it contains '\\xa0'"),
    ("åsa@example.se", "letters such as å, ä, ö before the @ are not supported"),
    ("=?utf-8?q?a?=@example.se", "it contains '=?'"),
    ("anna@ex\uff20ample.se", "bad domain"),
    ("anna@" + "a" * 64 + ".se", "bad domain"),
    ("a" * 250 + "@example.se", "too long for an e-mail address"),
]


@pytest.mark.parametrize(("text", "reason"), TYPOS)
def test_typos_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        check_address(text)
    assert reason in str(info.value)
    assert not is_email(text)
    with pytest.raises(ValueError):
        send_to(text)
    if text and clean_text(text) == text:  # `alumni check` strips a cell's edges first
        assert parse_emails(pd.Series([text], dtype=object))[1].iat[0]
