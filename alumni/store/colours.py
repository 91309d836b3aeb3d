"""The sheet's colours, set once by `init`: late contact rounds red, due soon amber, assessments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ColourRule:
    """Colour a tab's rows (or one column) where `column` holds exactly `value`."""

    tab: str
    column: str
    value: str
    colour: str  # RGB hex, no '#'
    whole_row: bool


RED, AMBER, GREEN, YELLOW = "F4CCCC", "FCE5CD", "D9EAD3", "FFF2CC"

COLOUR_RULES: tuple[ColourRule, ...] = (
    ColourRule("Kontaktlogg", "Status", "Försenad", RED, whole_row=True),
    ColourRule("Kontaktlogg", "Status", "Snart försenad", AMBER, whole_row=True),
    ColourRule("Ansökningar", "Bedömning", "Godkänn", GREEN, whole_row=False),
    ColourRule("Ansökningar", "Bedömning", "Avslå", RED, whole_row=False),
    ColourRule("Ansökningar", "Bedömning", "Granska", YELLOW, whole_row=False),
)

RULE_ROWS = 5000
"""How far down the colours reach (rows 2 to this); far beyond any committee's sheet."""
