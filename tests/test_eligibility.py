"""§3.1 rule: which join requests to the LinkedIn group to approve, reject or look at by hand."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from alumni.contract import Decision
from alumni.rules import eligibility
from alumni.rules.eligibility import Aliases, assess_applications, names_agree, normalise_name
from alumni.sheet.workbook import Cell, RawSheet, load_workbook

APPROVE, REJECT, REVIEW = Decision.APPROVE, Decision.REJECT, Decision.REVIEW

TZ = "Europe/Stockholm"
APPLICATION_HEADER = [
    "Tidstämpel",
    "ID",
    "Namn",
    "E-post",
    "LinkedIn",
    "Program",
    "Lärosäte",
    "Examensår",
    "Bedömning",
    "Motivering",
    "Bedömd",
    "Beslut",
    "Godkänd i LinkedIn",
]
ROSTER_HEADER: list[Cell] = ["ID", "Namn", "E-post", "Examensår"]
ROSTER: list[list[Cell]] = [
    ["AK-0001", "Åsa Öberg-Lind", "asa.oberg@example.se", 2026],
    ["AK-0002", "Johanna Berg", "johanna.berg@example.se", 2026],
    ["AK-0003", "Erika Lund", "erika.lund@example.se", 2026],
    ["AK-0004", "Anna Andersson", "anna.a@example.se", 2025],
    ["AK-0005", "Anna Andersson", "anna.andersson@example.se", 2026],
    ["AK-0006", "Märta Ek", "marta.ek@example.se", 2024],
    ["AK-0007", "Karl Nilsson", "karl.nilsson@example.se", 2026],
    ["AK-0008", "Oskar Lindqvist", "oskar.l@example.se", 2025],
]

Row = Mapping[str, Cell]


def sheets(
    applications: Sequence[Row], roster: Sequence[Sequence[Cell]] = ROSTER
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Ansökningar and Avgångsklass frames as the sheet reader gives them.

    Each application is a mapping from header to cell; the ID defaults to AN-0001, AN-0002...
    in the order given, and the rows land on sheet rows 2, 3... in that order.
    """
    rows: list[list[Cell]] = [list(APPLICATION_HEADER)]
    for n, application in enumerate(applications, start=1):
        cells: dict[str, Cell] = {"ID": f"AN-{n:04d}", **application}
        rows.append([cells.get(name) for name in APPLICATION_HEADER])
    raw = {
        "Ansökningar": RawSheet("Ansökningar", rows),
        "Avgångsklass": RawSheet("Avgångsklass", [ROSTER_HEADER, *(list(r) for r in roster)]),
    }
    book = load_workbook(raw, TZ)
    return book["Ansökningar"], book["Avgångsklass"]


def assess(applications: Sequence[Row], roster: Sequence[Sequence[Cell]] = ROSTER) -> pd.DataFrame:
    frame, graduates = sheets(applications, roster)
    return assess_applications(frame, graduates).set_axis(frame["ID"])


def row(result: pd.DataFrame, row_id: str) -> list[object]:
    """One application's assessment as a plain list, in the output's column order."""
    return list(result.loc[row_id, :].to_numpy(dtype=object))


def one(application: Row) -> tuple[str, str]:
    result = assess([application]).iloc[0]
    return result["Bedömning"], result["Motivering"]


NFD = unicodedata.normalize("NFD", "Åsa Öberg-Lind")
ON_ROSTER_BY_NAME = "Finns i Avgångsklass 2026 (namn och examensår)."

# One application each, against ROSTER: (cells, Bedömning, Motivering).
CASES: dict[str, tuple[Row, str, str]] = {
    "e-mail on the roster, any case and spaces": (
        {"Namn": "A. Öberg", "E-post": " ASA.Oberg@Example.SE ", "Program": "Ekonomi"},
        APPROVE,
        "Finns i Avgångsklass 2026 (e-post).",
    ),
    "e-mail on the roster, odd programme": (
        {"Namn": "Karl N", "E-post": "karl.nilsson@example.se", "Program": "Maskinteknik"},
        APPROVE,
        "Finns i Avgångsklass 2026 (e-post).",
    ),
    "e-mail on the roster, the name written differently": (
        {"Namn": "Oberg Lind, Aasa", "E-post": "asa.oberg@example.se"},
        APPROVE,
        "Finns i Avgångsklass 2026 (e-post).",
    ),
    "e-mail on the roster, someone else's name": (
        {"Namn": "Erik Svensson", "E-post": "karl.nilsson@example.se", "Examensår": 2026},
        REVIEW,
        "E-postadressen hör till Karl Nilsson i Avgångsklass 2026, men namnet är ett annat.",
    ),
    "e-mail on the roster, a namesake's first name": (
        {"Namn": "Johan Berg", "E-post": "johanna.berg@example.se", "Program": "I"},
        REVIEW,
        "E-postadressen hör till Johanna Berg i Avgångsklass 2026, men namnet är ett annat.",
    ),
    "e-mail of one graduate, the name and year of another": (
        {"Namn": "Karl Nilsson", "E-post": "erika.lund@example.se", "Examensår": 2026},
        REVIEW,
        "E-postadressen hör till Erika Lund i Avgångsklass 2026, men namnet är ett annat.",
    ),
    "e-mail on the roster, a first name only": (
        {"Namn": "Karl", "E-post": "karl.nilsson@example.se"},
        REVIEW,
        "E-postadressen hör till Karl Nilsson i Avgångsklass 2026, men namnet är ett annat.",
    ),
    "e-mail on the roster, someone else's name and another university": (
        {"Namn": "Erik Svensson", "E-post": "karl.nilsson@example.se", "Lärosäte": "KTH"},
        REVIEW,
        "E-postadressen hör till Karl Nilsson i Avgångsklass 2026, men namnet är ett annat;"
        " uppger lärosätet 'KTH'.",
    ),
    "e-mail on the roster but another university": (
        {"Namn": "Karl Nilsson", "E-post": "karl.nilsson@example.se", "Lärosäte": "KTH"},
        REVIEW,
        "Finns i Avgångsklass 2026 (e-post) men uppger lärosätet 'KTH'.",
    ),
    "name and year": ({"Namn": "Karl Nilsson", "Examensår": 2026}, APPROVE, ON_ROSTER_BY_NAME),
    "name and year as text": (
        {"Namn": "karl  nilsson", "Examensår": "2026"},
        APPROVE,
        ON_ROSTER_BY_NAME,
    ),
    "Swedish name without accents": (
        {"Namn": "Asa Oberg Lind", "Examensår": 2026},
        APPROVE,
        ON_ROSTER_BY_NAME,
    ),
    "Swedish name, last name first": (
        {"Namn": "Öberg-Lind, Åsa", "Examensår": 2026},
        APPROVE,
        ON_ROSTER_BY_NAME,
    ),
    "Swedish name in decomposed Unicode": (
        {"Namn": NFD, "Examensår": 2026},
        APPROVE,
        ON_ROSTER_BY_NAME,
    ),
    "name right, year wrong": (
        {"Namn": "Karl Nilsson", "Examensår": 2024},
        REVIEW,
        "Trolig match: Karl Nilsson, Avgångsklass 2026; kontrollera examensår.",
    ),
    "name right, no year": (
        {"Namn": "Åsa Öberg-Lind"},
        REVIEW,
        "Trolig match: Åsa Öberg-Lind, Avgångsklass 2026; kontrollera examensår.",
    ),
    "name right, year not a year": (
        {"Namn": "Karl Nilsson", "Examensår": "tjugo"},
        REVIEW,
        "Trolig match: Karl Nilsson, Avgångsklass 2026; kontrollera examensår.",
    ),
    "name and year right but another university": (
        {"Namn": "Karl Nilsson", "Examensår": 2026, "Lärosäte": "Chalmers"},
        REVIEW,
        "Finns i Avgångsklass 2026 (namn och examensår) men uppger lärosätet 'Chalmers'.",
    ),
    "namesake Johan of Johanna, same year": (
        {
            "Namn": "Johan Berg",
            "Examensår": 2026,
            "Program": "Industriell ekonomi",
            "Lärosäte": "LTU",
        },
        REVIEW,
        "Trolig match: Johanna Berg, Avgångsklass 2026; kontrollera namnet.",
    ),
    "namesake Erik of Erika, same year": (
        {"Namn": "Erik Lund", "Examensår": 2026},
        REVIEW,
        "Trolig match: Erika Lund, Avgångsklass 2026; kontrollera namnet.",
    ),
    "a name that fits two people on the roster": (
        {"Namn": "Anna Andersson", "Examensår": 2026},
        REVIEW,
        "Namnet passar flera i Avgångsklass: Anna Andersson (2025), Anna Andersson (2026).",
    ),
    "not on the roster, Industriell ekonomi at LTU": (
        {
            "Namn": "Nils Holm",
            "Program": "Industriell ekonomi",
            "Lärosäte": "Luleå tekniska universitet",
            "Examensår": 2019,
        },
        REVIEW,
        "Uppger Industriell ekonomi vid LTU men finns inte i Avgångsklass.",
    ),
    "another programme": (
        {"Namn": "Nils Holm", "Program": "Maskinteknik", "Lärosäte": "LTU", "Examensår": 2019},
        REJECT,
        "Programmet 'Maskinteknik' är inte Industriell ekonomi.",
    ),
    "another programme, Swedish style": (
        {"Namn": "Nils Holm", "Program": "Ekonomprogrammet", "Lärosäte": "Luleå"},
        REJECT,
        "Programmet 'Ekonomprogrammet' är inte Industriell ekonomi.",
    ),
    "another university": (
        {
            "Namn": "Nils Holm",
            "Program": "Industriell ekonomi",
            "Lärosäte": "KTH",
            "Examensår": 2019,
        },
        REJECT,
        "Lärosätet 'KTH' är inte Luleå tekniska universitet.",
    ),
    "another university, spelled out": (
        {"Namn": "Nils Holm", "Program": "Industriell ekonomi", "Lärosäte": "Umeå universitet"},
        REJECT,
        "Lärosätet 'Umeå universitet' är inte Luleå tekniska universitet.",
    ),
    "a pasted LinkedIn request close to a roster name": (
        {"Namn": "Oscar Lindkvist", "Program": "Supply Chain Manager at Volvo"},
        REVIEW,
        "Trolig match: Oskar Lindqvist, Avgångsklass 2025.",
    ),
    "a pasted LinkedIn request from a stranger": (
        {"Namn": "Zlatan Ibrahimović", "Program": "Footballer | Investor"},
        REVIEW,
        "Ingen träff i Avgångsklass.",
    ),
    "no name": ({"Namn": "", "E-post": "nobody@example.se"}, REVIEW, "Namn saknas."),
    "a name of punctuation only": ({"Namn": "-- ..", "Examensår": 2026}, REVIEW, "Namn saknas."),
    "an e-mail address that does not parse": (
        {"Namn": "Karl Nilsson", "E-post": "karl.nilsson(at)example", "Examensår": 2026},
        APPROVE,
        ON_ROSTER_BY_NAME,
    ),
    "a LinkedIn link that is not a profile": (
        {"Namn": "Karl Nilsson", "Examensår": 2026, "LinkedIn": "https://www.linkedin.com/feed/"},
        APPROVE,
        ON_ROSTER_BY_NAME + " LinkedIn-länken är inte en profil.",
    ),
    "a LinkedIn link elsewhere": (
        {"Namn": "Zlatan Ibrahimović", "LinkedIn": "zlatan.se"},
        REVIEW,
        "Ingen träff i Avgångsklass. LinkedIn-länken är inte en profil.",
    ),
    "a year out of range": (
        {"Namn": "Nils Holm", "Examensår": 1066, "Program": "I", "Lärosäte": "LTU"},
        REVIEW,
        "Uppger Industriell ekonomi vid LTU men finns inte i Avgångsklass.",
    ),
    "a formula-like name": (
        {"Namn": '=HYPERLINK("x")', "Program": "+46 70"},
        REVIEW,
        "Ingen träff i Avgångsklass.",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_one_application(case: str) -> None:
    cells, assessment, reason = CASES[case]
    assert one(cells) == (assessment, reason)


@pytest.mark.parametrize(
    "programme",
    [
        "Industriell ekonomi",
        "Industriel ekonomi",
        "industriell ekonomi (civ.ing)",
        "Indek",
        "I",
        "I-programmet",
        "Industrial Engineering and Management",
        "Civilingenjör, Industriell Ekonomi",
    ],
)
@pytest.mark.parametrize(
    "university",
    [
        "Luleå tekniska universitet",
        "Lulea tekniska",
        "LTU",
        "Luleå University of Technology",
        "luleå",
    ],
)
def test_spellings_of_the_programme_and_university(programme: str, university: str) -> None:
    cells = {"Namn": "Nils Holm", "Program": programme, "Lärosäte": university}
    assert one(cells) == (
        REVIEW,
        "Uppger Industriell ekonomi vid LTU men finns inte i Avgångsklass.",
    )


@pytest.mark.parametrize(
    "programme", ["Maskinteknik", "Datateknik", "Ekonomprogrammet", "Civilingenjör i maskinteknik"]
)
def test_other_programmes_are_rejected(programme: str) -> None:
    cells = {"Namn": "Nils Holm", "Program": programme, "Lärosäte": "LTU"}
    assert one(cells) == (REJECT, f"Programmet '{programme}' är inte Industriell ekonomi.")


@pytest.mark.parametrize(
    "university", ["KTH", "Chalmers", "Umeå universitet", "Lunds tekniska högskola"]
)
def test_other_universities_are_rejected(university: str) -> None:
    cells = {"Namn": "Nils Holm", "Program": "Industriell ekonomi", "Lärosäte": university}
    assert one(cells) == (REJECT, f"Lärosätet '{university}' är inte Luleå tekniska universitet.")


@pytest.mark.parametrize("vague", ["Civilingenjör", "Ekonomi", "Student", "?", "I 2019 typ"])
def test_a_vague_programme_is_no_statement_against(vague: str) -> None:
    assert one({"Namn": "Nils Holm", "Program": vague})[0] == REVIEW


def test_candidates_are_the_closest_names_first() -> None:
    roster: list[list[Cell]] = [
        ["AK-0001", "Oskar Lundqvist", "a@example.se", 2020],
        ["AK-0002", "Ossian Lindkvist", "b@example.se", 2021],
        ["AK-0003", "Oskar Lindqvist", "c@example.se", 2022],
        ["AK-0004", "Ossian Lindkvist", "d@example.se", 2019],
        ["AK-0005", "Anna Andersson", "e@example.se", 2022],
    ]
    result = assess([{"Namn": "Oscar Lindkvist"}], roster)
    assert result["Motivering"].tolist() == [
        "Trolig match: Oskar Lindqvist, Avgångsklass 2022; Ossian Lindkvist, Avgångsklass 2019;"
        " Ossian Lindkvist, Avgångsklass 2021."
    ]


def test_a_lower_threshold_still_never_approves_a_close_name() -> None:
    frame, roster = sheets([{"Namn": "Johan Berg", "Examensår": 2026}])
    result = assess_applications(frame, roster, threshold=70)
    assert result["Motivering"].tolist() == [
        "Trolig match: Johanna Berg, Avgångsklass 2026; kontrollera namnet."
    ]


# (typed in the application, listed in Avgångsklass): the same person written differently.
SAME_PERSON = {
    "case and spaces": ("ANNA  berg", "Anna Berg"),
    "å, ä, ö typed as a, o": ("Asa Oberg", "Åsa Öberg"),
    "å, ä, ö typed as aa, oe": ("Aasa Oeberg", "Åsa Öberg"),
    "accents the other way round": ("Märta Ek", "Marta Ek"),
    "decomposed Unicode": (unicodedata.normalize("NFD", "Åsa Öberg"), "Åsa Öberg"),
    "a middle name left out": ("Anna Berg", "Anna Maria Berg"),
    "a middle name added": ("Anna Maria Berg", "Anna Berg"),
    "called by the middle name": ("Maria Berg", "Anna Maria Berg"),
    "last name first": ("Berg Anna", "Anna Berg"),
    "last name first, with a comma": ("Berg, Anna", "Anna Berg"),
    "a hyphen written as a space": ("Anna Berg Lind", "Anna Berg-Lind"),
    "a double surname as one word": ("Anna Berglind", "Anna Berg-Lind"),
    "a double first name as one word": ("Annamaria Berg", "Anna-Maria Berg"),
    "one of a double surname": ("Anna Lind", "Anna Berg-Lind"),
    "a double surname against one of it": ("Anna Berg-Lind", "Anna Berg"),
    "the first name as an initial": ("A. Berg", "Anna Berg"),
    "the last name as an initial": ("Anna B", "Anna Berg"),
    "one slip in a long name": ("Oskar Lindquist", "Oskar Lindqvist"),
}
# (typed, listed): another person, however close.
SOMEONE_ELSE = {
    "another name entirely": ("Erik Svensson", "Anna Berg"),
    "the same first name, another surname": ("Anna Svensson", "Anna Berg"),
    "another first name, the same surname": ("Maria Berg", "Anna Berg"),
    "Johan is not Johanna": ("Johan Berg", "Johanna Berg"),
    "Anne is not Anna": ("Anne Berg", "Anna Berg"),
    "Hanna is not Anna": ("Hanna Berg", "Anna Berg"),
    "Berg is not Bergström": ("Anna Berg", "Anna Bergström"),
    "a first name alone": ("Anna", "Anna Berg"),
    "a surname alone": ("Berg", "Anna Berg"),
    "initials only": ("A. B.", "Anna Berg"),
    "no name": ("", "Anna Berg"),
    "punctuation only": ("-", "Anna Berg"),
}


@pytest.mark.parametrize("case", SAME_PERSON)
def test_names_agree_when_the_same_person_writes_them_differently(case: str) -> None:
    typed, listed = SAME_PERSON[case]
    assert names_agree(typed, listed)
    assert names_agree(listed, typed)


@pytest.mark.parametrize("case", SOMEONE_ELSE)
def test_names_do_not_agree_for_someone_else(case: str) -> None:
    typed, listed = SOMEONE_ELSE[case]
    assert not names_agree(typed, listed)
    assert not names_agree(listed, typed)


@pytest.mark.parametrize(
    ("case", "approved"), [*((c, True) for c in SAME_PERSON), *((c, False) for c in SOMEONE_ELSE)]
)
def test_an_address_on_the_roster_approves_only_with_the_graduates_name(
    case: str, approved: bool
) -> None:
    typed, listed = (SAME_PERSON if approved else SOMEONE_ELSE)[case]
    roster: list[list[Cell]] = [["AK-0001", listed, "grad@example.se", 2026]]
    application: Row = {"Namn": typed, "E-post": "Grad@Example.se"}
    verdict, reason = assess([application], roster).iloc[0][["Bedömning", "Motivering"]]
    if approved:
        assert (verdict, reason) == (APPROVE, "Finns i Avgångsklass 2026 (e-post).")
    else:
        assert verdict == REVIEW
        assert reason in (
            f"E-postadressen hör till {listed} i Avgångsklass 2026, men namnet är ett annat.",
            "Namn saknas.",
        )


def test_normalise_name_folds_case_accents_punctuation_and_order() -> None:
    keys = {
        normalise_name(name)
        for name in (
            "Åsa Öberg-Lind",
            "asa oberg lind",
            "ÖBERG-LIND, Åsa",
            NFD,
            "  Åsa\u00a0Öberg–Lind ",
        )
    }
    assert keys == {"asa lind oberg"}
    assert normalise_name("Søren Ærø") == "aero soren"
    assert normalise_name("") == ""


EARLY, LATE = "2026-11-20 10:00", "2026-11-21 09:30"
MARTA: Row = {"Namn": "Märta Ek", "E-post": "marta.ek@example.se", "Examensår": 2024}

# Two applications each: (first, second, which one is the duplicate).
DUPLICATES: dict[str, tuple[Row, Row, str]] = {
    "same e-mail, other case": (
        {**MARTA, "Tidstämpel": EARLY},
        {"Namn": "Marta Ek", "E-post": "MARTA.EK@example.se ", "Tidstämpel": LATE},
        "AN-0002",
    ),
    "same LinkedIn profile, written differently": (
        {
            "Namn": "Märta Ek",
            "LinkedIn": "https://se.linkedin.com/in/marta-ek/?trk=abc",
            "Tidstämpel": EARLY,
        },
        {"Namn": "M. Ek", "LinkedIn": "http://www.LinkedIn.com/in/Marta-Ek", "Tidstämpel": LATE},
        "AN-0002",
    ),
    "same name and year, names swapped": (
        {"Namn": "Märta Ek", "Examensår": 2024, "Tidstämpel": EARLY},
        {"Namn": "Ek, Marta", "Examensår": "2024", "Tidstämpel": LATE},
        "AN-0002",
    ),
    "the higher sheet row is the earlier by time": (
        {**MARTA, "Tidstämpel": LATE},
        {**MARTA, "Tidstämpel": EARLY},
        "AN-0001",
    ),
    "without times the sheet row decides": (MARTA, MARTA, "AN-0002"),
    "a row without a time comes after one with": (MARTA, {**MARTA, "Tidstämpel": LATE}, "AN-0001"),
}


@pytest.mark.parametrize("case", DUPLICATES)
def test_duplicates_point_at_the_earlier_application(case: str) -> None:
    first, second, duplicate = DUPLICATES[case]
    result = assess([first, second])
    original = "AN-0002" if duplicate == "AN-0001" else "AN-0001"
    assert row(result, duplicate) == [
        REVIEW,
        f"Dubblett av {original} (Märta Ek).",
        original,
        False,
    ]
    assert result.loc[original, "duplicate_of"] == ""
    assert not str(result.loc[original, "Motivering"]).startswith("Dubblett")


def test_a_duplicate_of_an_application_approved_in_linkedin_is_handled() -> None:
    result = assess(
        [
            {**MARTA, "Tidstämpel": EARLY, "Beslut": "Godkänn", "Godkänd i LinkedIn": "2026-11-20"},
            {**MARTA, "Tidstämpel": LATE},
        ]
    )
    assert row(result, "AN-0001") == ["", "", "", False]
    assert row(result, "AN-0002") == [
        REVIEW,
        "Dubblett av AN-0001 (Märta Ek), redan godkänd i LinkedIn.",
        "AN-0001",
        True,
    ]


def test_duplicates_link_through_a_third_application() -> None:
    result = assess(
        [
            {"Namn": "Märta Ek", "E-post": "marta.ek@example.se", "Tidstämpel": EARLY},
            {
                "Namn": "Märta Ek",
                "E-post": "marta.ek@example.se",
                "LinkedIn": "linkedin.com/in/me",
                "Tidstämpel": LATE,
            },
            {
                "Namn": "Märta",
                "LinkedIn": "https://linkedin.com/in/me/",
                "Tidstämpel": "2026-11-22 08:00",
            },
        ]
    )
    assert result["duplicate_of"].tolist() == ["", "AN-0001", "AN-0001"]


def test_no_duplicate_across_people_or_non_profile_links() -> None:
    result = assess(
        [
            {"Namn": "Märta Ek", "Examensår": 2024, "LinkedIn": "https://www.linkedin.com/feed/"},
            {"Namn": "Märta Ek", "Examensår": 2023, "LinkedIn": "https://www.linkedin.com/feed/"},
            {"Namn": "Karl Nilsson"},
            {"Namn": "Karl Nilsson"},
        ]
    )
    assert result["duplicate_of"].tolist() == ["", "", "", ""]


def test_rows_with_a_decision_are_never_assessed() -> None:
    result = assess(
        [
            {"Namn": "Karl Nilsson", "Examensår": 2026, "Beslut": "Avslå"},
            {"Namn": "Nils Holm", "Program": "Maskinteknik", "Beslut": "Godkänn"},
            {"Namn": "", "Beslut": "Godkänn"},
        ]
    )
    assert (result["Bedömning"] == "").all()
    assert (result["Motivering"] == "").all()
    assert not result["handled"].any()


def judged_only(applications: Sequence[Row], judged: list[bool]) -> pd.DataFrame:
    frame, graduates = sheets(applications)
    return assess_applications(frame, graduates, judged=judged).set_axis(frame["ID"])


def test_a_row_not_judged_gets_nothing_and_the_others_are_judged_as_usual() -> None:
    result = judged_only(
        [{"Namn": "Karl Nilsson", "Examensår": 2026}, {"Namn": "Märta Ek", "Examensår": 2024}],
        [False, True],
    )
    assert row(result, "AN-0001") == ["", "", "", False]
    assert row(result, "AN-0002")[0] == APPROVE


def test_the_same_person_as_a_row_not_judged_is_looked_at_by_hand() -> None:
    # Without its time, nobody knows whether the unread row came first: neither is approved.
    result = judged_only(
        [{**MARTA, "Tidstämpel": LATE}, {**MARTA, "Tidstämpel": EARLY}], [False, True]
    )
    assert row(result, "AN-0002") == [
        REVIEW,
        "Kan vara samma person som AN-0001 (Märta Ek), vars rad inte kunde läsas.",
        "",
        False,
    ]


def test_an_approval_in_a_row_not_judged_does_not_handle_its_duplicate() -> None:
    result = judged_only(
        [
            {**MARTA, "Tidstämpel": EARLY, "Godkänd i LinkedIn": "igår"},
            {**MARTA, "Tidstämpel": LATE},
        ],
        [False, True],
    )
    assert row(result, "AN-0002") == [REVIEW, "Dubblett av AN-0001 (Märta Ek).", "AN-0001", False]


def test_output_keeps_the_index_and_dtypes() -> None:
    frame, roster = sheets([{"Namn": "Karl Nilsson", "Examensår": 2026}, {"Namn": "Nils Holm"}])
    frame.index = pd.Index([17, 4])
    result = assess_applications(frame, roster)
    assert result.index.tolist() == [17, 4]
    assert result.columns.tolist() == ["Bedömning", "Motivering", "duplicate_of", "handled"]
    assert result["handled"].dtype == bool
    assert result["Bedömning"].dtype == object


def test_empty_frames() -> None:
    frame, roster = sheets([], [])
    assert assess_applications(frame, roster).empty
    frame, roster = sheets([{"Namn": "Karl Nilsson", "Examensår": 2026}], [])
    assert assess_applications(frame, roster)["Motivering"].tolist() == [
        "Ingen träff i Avgångsklass."
    ]


def test_custom_aliases() -> None:
    frame, roster = sheets(
        [{"Namn": "Nils Holm", "Program": "Ekonomi och teknik", "Lärosäte": "LTU"}]
    )
    aliases = Aliases(programme=(*Aliases().programme, "ekonomi och teknik"))
    result = assess_applications(frame, roster, aliases)
    assert result["Bedömning"].tolist() == [REVIEW]


POOL: list[Row] = [
    MARTA,
    {**MARTA, "E-post": "MARTA.EK@example.se", "Tidstämpel": EARLY},
    {"Namn": "Ek Märta", "Examensår": 2024, "Tidstämpel": LATE, "Godkänd i LinkedIn": "2026-11-22"},
    {"Namn": "Märta Ek", "LinkedIn": "linkedin.com/in/marta", "Tidstämpel": LATE},
    {"Namn": "Marta E", "LinkedIn": "https://www.linkedin.com/in/marta/", "Tidstämpel": EARLY},
    {
        "Namn": "Karl Nilsson",
        "Examensår": 2026,
        "Beslut": "Godkänn",
        "Godkänd i LinkedIn": "2026-11-21",
    },
    {"Namn": "Karl Nilsson", "Examensår": 2026, "Tidstämpel": LATE},
    {"Namn": "Johan Berg", "Examensår": 2026},
    {"Namn": "Anna Andersson", "Examensår": 2026, "Tidstämpel": EARLY},
    {"Namn": "Nils Holm", "Program": "Maskinteknik"},
    {"Namn": "", "E-post": "marta.ek@example.se"},
    {"Namn": "Oscar Lindkvist", "Program": "Manager at Volvo"},
]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.sampled_from(POOL), min_size=1, max_size=10),
    order=st.randoms(use_true_random=False),
)
def test_the_order_of_rows_does_not_matter(rows: list[Row], order: object) -> None:
    frame, roster = sheets(rows)
    expected = assess_applications(frame, roster).set_axis(frame["ID"])
    shuffled = frame.sample(frac=1, random_state=order.randint(0, 2**31))  # type: ignore[attr-defined]
    roster = roster.sample(frac=1, random_state=1)
    result = assess_applications(shuffled, roster).set_axis(shuffled["ID"])
    pd.testing.assert_frame_equal(result.loc[expected.index], expected)


# The name index against a brute-force reference: every application name scored against every
# roster name, as the rule did before it kept only what it can use (issue 16).
FIRST_NAMES = ["Anna", "Anne", "Ann", "Hanna", "Annie", "Åsa", "Asa", "Aasa", "Eva", "Ebba"]
MORE_NAMES = ["Märta", "Marta", "Johan", "Johanna", "Maria", "Marie", "Ek", "Lind", "Berg"]
SHARED = ["Maria", "Andersson", "Anderson", "Öberg", "Oberg", "Berg-Lind", "Lindqvist"]
OTHER_NAMES = ["", "  ", "A. Andersson", "ANNA maria ANDERSSON", "Anna\u0301 Öberg", "Ek Lind"]


@st.composite
def a_class(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, int | None]]]:
    """Typed names and a roster of names with years, where most names share some words."""
    words = draw(st.lists(st.sampled_from(SHARED), min_size=1, max_size=3))
    shared = draw(st.sampled_from([" ", "-", ", "])).join(words)
    name = st.one_of(
        st.sampled_from(FIRST_NAMES).map(lambda first: f"{first} {shared}"),
        st.sampled_from(FIRST_NAMES).map(lambda first: f"{shared} {first}"),
        st.lists(st.sampled_from(FIRST_NAMES + MORE_NAMES + SHARED), max_size=4).map(" ".join),
        st.sampled_from(OTHER_NAMES),
    )
    typed = draw(st.lists(name, min_size=1, max_size=6))
    roster = draw(st.lists(st.tuples(name, st.sampled_from([2024, 2025, None])), max_size=20))
    return typed, roster


def brute_force(
    typed: str, roster: list[tuple[str, int | None, str]], at_least: float
) -> list[int]:
    """Roster rows whose name scores `at_least` against `typed` without being equal, best first.

    Scores are rapidfuzz's token sort ratio of the names as float32, as the rule keeps them;
    namesakes come by year, then ID.
    """
    key = normalise_name(typed)
    if not key:
        return []
    scored = []
    for row, (name, year, row_id) in enumerate(roster):
        other = normalise_name(name)
        if not other or other == key:
            continue
        score = float(np.float32(fuzz.token_sort_ratio(typed, name, processor=normalise_name)))
        if score >= at_least:
            scored.append(((-score, other, year or 0, row_id, name), row))
    return [row for _, row in sorted(scored)]


@settings(max_examples=200, deadline=None)
@given(
    names=a_class(),
    threshold=st.sampled_from([70.0, 80.0, 85.0, 90.0, 90.1, 95.0, 100.0]),
    chunk=st.sampled_from([1, 2, 256]),
)
def test_the_name_index_finds_what_comparing_every_pair_finds(
    names: tuple[list[str], list[tuple[str, int | None]]], threshold: float, chunk: int
) -> None:
    typed, roster = names
    listed = [(name, year, f"AK-{n:04d}") for n, (name, year) in enumerate(roster)]
    frame = pd.DataFrame(
        {
            "ID": [row_id for _, _, row_id in listed],
            "Namn": pd.Series([name for name, _, _ in listed], dtype=object),
            "E-post": pd.Series([""] * len(listed), dtype=object),
            "Examensår": pd.Series([year for _, year, _ in listed], dtype="Int64"),
        }
    )
    people = eligibility._Roster(frame)
    with patch.object(eligibility, "_CHUNK", chunk):
        index = eligibility._NameMatches(
            [normalise_name(t) for t in typed],
            people.names,
            people.rank,
            min(threshold, eligibility.CANDIDATE_SCORE),
            threshold,
        )
    for i, name in enumerate(typed):
        assert index.close(i) == brute_force(name, listed, threshold)
        shown = people.persons(brute_force(name, listed, eligibility.CANDIDATE_SCORE))
        assert people.persons(index.candidates(i))[:3] == shown[:3]


def test_names_that_share_words_are_counted_and_shown_best_first() -> None:
    firsts = ["Anna", "Anne", "Hanna", "Eva", "Ebba", "Johan", "Johanna", "Annie", "Anni"]
    roster: list[list[Cell]] = [
        [f"AK-{n:04d}", f"{first} Maria Andersson", f"{n}@example.se", 2026]
        for n, first in enumerate(firsts)
    ]
    roster.append(["AK-0100", "Anna Maria Andersson", "anna2@example.se", 2025])
    result = assess([{"Namn": "Ann Maria Andersson"}, {"Namn": "Anna Maria Anderberg"}], roster)
    assert result["Motivering"].tolist() == [
        "Namnet passar flera i Avgångsklass: Anna Maria Andersson (2025), "
        "Anna Maria Andersson (2026), Anne Maria Andersson (2026) och 5 till.",
        "Trolig match: Anna Maria Andersson, Avgångsklass 2025; "
        "Anna Maria Andersson, Avgångsklass 2026.",
    ]
