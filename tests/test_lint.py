"""Specifications of the formal-language lint of the committee's templates and messages."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from alumni.mail.lint import (
    LintFinding,
    WordLists,
    guess_language,
    lint_rendered,
    lint_template_file,
    lint_templates,
    lint_text,
    load_word_lists,
)
from alumni.mail.render import Templates
from tests.helpers import alumni

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"
LISTS = load_word_lists(TEMPLATES / "lint")
TO = "to Anna Ek (AL-0003)"

SV_BODY = "Hej Anna,\n\n{}\n\nMed vänliga hälsningar\nErik Berg\nAlumniutskottet\n"
EN_BODY = "Dear Anna,\n\n{}\n\nKind regards,\nErik Berg\nAlumni Committee\n"


def write_template(folder: Path, name: str, text_block: str, subject: str = "Ämne") -> Path:
    path = folder / name
    path.write_text(
        f"{{#- a test template -#}}\n{{% block subject %}}{subject}{{% endblock %}}\n\n"
        f"{{% block text %}}\n{text_block}{{% endblock %}}\n",
        encoding="utf-8",
    )
    return path


def kinds(findings: list[LintFinding]) -> list[str]:
    return [f.kind for f in findings]


def phrases(findings: list[LintFinding]) -> list[str]:
    return [f.phrase for f in findings]


# --- the shipped templates -------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.j2")), ids=lambda p: p.name)
def test_every_shipped_template_lints_clean(path: Path) -> None:
    assert lint_template_file(path, LISTS) == []


def test_the_shipped_templates_are_found_and_clean_together() -> None:
    assert len(list(TEMPLATES.glob("*.j2"))) >= 8
    assert lint_templates(TEMPLATES, LISTS) == []


CONTEXTS: dict[str, dict[str, Any]] = {
    "alumni_contact": {
        "name": "Anna Ek",
        "project": "Industridagen 2025",
        "company": "LKAB",
        "title": "projektledare",
        "person": "Erik Berg",
        "person_email": "erik.berg@example.com",
        "committee": "Alumniutskottet",
        "signature": "Alumniutskottet\nI-sektionen, LTU",
    },
    "graduation_invite": {
        "name": "Anna Ek",
        "year": 2025,
        "signup_link": "https://www.linkedin.com/groups/12345/",
        "form_link": "https://forms.example.com/ABCD-EFGH",
        "signature": "Alumniutskottet\nI-sektionen, LTU",
        "committee": "Alumniutskottet",
    },
}


@pytest.mark.parametrize("message", sorted(CONTEXTS))
@pytest.mark.parametrize("language", ["sv", "en"])
def test_rendered_shipped_messages_lint_clean(message: str, language: str) -> None:
    rendered = Templates(TEMPLATES).render(message, language, CONTEXTS[message])
    assert guess_language(rendered.text) == language
    assert lint_rendered(rendered.subject, rendered.text, TO, LISTS) == []


# --- informal words, in templates and in rendered messages ----------------------------------

SV_CASES = [
    ("Tjena Anna,", "Tjena"),
    ("Tja,", "Tja"),
    ("Tjabba!", "Tjabba"),
    ("Hallå där,", "Hallå där"),
    ("Hejsan Anna,", "Hejsan"),
    ("Hejhej,", "Hejhej"),
    ("Det vore grymt om du kunde komma.", "grymt"),
    ("Vi söker typ en talare.", "typ"),
    ("Asså, det vore kul.", "Asså"),
    ("Det vore fett kul.", "fett"),
    ("Ba en fråga.", "Ba"),
    ("Shit, vad bra.", "Shit"),
    ("Det var lol.", "lol"),
    ("Mvh Erik", "Mvh"),
    ("Kram,", "Kram"),
    ("Kramar från oss", "Kramar"),
    ("Puss och kram", "Puss och kram"),
]
EN_CASES = [
    ("Hey Anna,", "Hey"),
    ("Hiya,", "Hiya"),
    ("Yo,", "Yo"),
    ("Cheers,", "Cheers"),
    ("Thx for your time.", "Thx"),
    ("Thanks! We look forward to it.", "Thanks!"),
    ("That was lol.", "lol"),
    ("Btw, the event is on Friday.", "Btw"),
    ("We are gonna hold a fair.", "gonna"),
    ("Do you wanna join?", "wanna"),
    ("Cya soon.", "Cya"),
    ("xoxo", "xoxo"),
    ("It would be awesome.", "awesome"),
    ("That is cool.", "cool"),
]


@pytest.mark.parametrize(("line", "phrase"), SV_CASES)
def test_informal_swedish_in_a_template_names_file_line_and_phrase(
    tmp_path: Path, line: str, phrase: str
) -> None:
    path = write_template(tmp_path, "x.sv.j2", SV_BODY.format(line))
    [finding] = lint_template_file(path, LISTS)
    # The text block opens on line 4; the body's line is two lines below the greeting.
    assert finding.where == f"{path}:7"
    assert finding.phrase == phrase
    assert finding.kind == "informal"
    assert f"'{phrase}'" in finding.message
    assert str(finding).startswith(f"{path}:7: informal ")
    assert "write formally, e.g. 'Hej Anna,' / 'Med vänliga hälsningar'" in str(finding)


@pytest.mark.parametrize(("line", "phrase"), EN_CASES)
def test_informal_english_in_a_template_names_file_line_and_phrase(
    tmp_path: Path, line: str, phrase: str
) -> None:
    path = write_template(tmp_path, "x.en.j2", EN_BODY.format(line), subject="Request")
    [finding] = lint_template_file(path, LISTS)
    assert (finding.where, finding.phrase) == (f"{path}:7", phrase)
    assert "'Dear Anna,' / 'Kind regards'" in str(finding)


@pytest.mark.parametrize(("line", "phrase"), SV_CASES)
def test_informal_swedish_in_a_rendered_message_names_the_recipient(line: str, phrase: str) -> None:
    [finding] = lint_rendered("Inbjudan", SV_BODY.format(line), TO, LISTS)
    assert (finding.where, finding.phrase) == (TO, phrase)
    assert str(finding).startswith(f"{TO}: informal ")


@pytest.mark.parametrize(("line", "phrase"), EN_CASES)
def test_informal_english_in_a_rendered_message_names_the_recipient(line: str, phrase: str) -> None:
    [finding] = lint_rendered("Invitation", EN_BODY.format(line), TO, LISTS)
    assert (finding.where, finding.phrase) == (TO, phrase)


def test_greetings_and_sign_offs_are_named_as_such() -> None:
    found = lint_rendered("Hej", "Tjena Anna!\n\nVi ses på mässan.\n\nMvh\nErik\n", TO, LISTS)
    assert [f.message for f in found] == [
        "informal greeting 'Tjena'",
        "informal sign-off 'Mvh'",
    ]


def test_the_subject_is_linted_too() -> None:
    [finding] = lint_rendered("Tjena! Mässa", SV_BODY.format("Välkommen."), TO, LISTS)
    assert finding.phrase == "Tjena"
    assert finding.message == "informal word 'Tjena' in the subject"


def test_matching_ignores_case_and_spans_line_breaks() -> None:
    text = SV_BODY.format("Vi hoppas att du kommer.\nTJENA och HEJSAN igen. Puss och\nkram.")
    found = lint_text(text, "m", LISTS, language="sv")
    assert [(f.where, f.phrase) for f in found if f.kind == "informal"] == [
        ("m:4", "TJENA"),
        ("m:4", "HEJSAN"),
        ("m:4", "Puss och\nkram"),
    ]


# --- whole words only -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Vi erbjuder en tjänst till alumner.",
        "Han fick kramp under loppet.",
        "Vilken typ av evenemang planerar ni?",
        "Den här typen av möte, typ  av digital karaktär.",
        "Hon är hallåkvinna på radion.",
        "Hejsvejs är inget ord, men hejaramsan är det.",
        "Baserat på tidigare år.",
        "Fettisdagen infaller i februari.",
        "Tack för ditt svar.",
        "Det vore roligt om du kunde komma.",
        "Vi ses på Industridagen i Luleå.",
    ],
)
def test_only_whole_words_count_in_swedish(sentence: str) -> None:
    assert lint_text(SV_BODY.format(sentence), "m", LISTS, language="sv") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Your experience would be valuable.",
        "Please keep the drinks cooler than the room.",
        "They were heyday times for the programme.",
        "Thanks to your help, the event went well.",
        "We would be grateful for your time.",
    ],
)
def test_only_whole_words_count_in_english(sentence: str) -> None:
    assert lint_text(EN_BODY.format(sentence), "m", LISTS, language="en") == []


def test_typ_alone_is_slang_but_typ_av_is_not() -> None:
    found = lint_text(SV_BODY.format("Typ av möte: typ en lunch."), "m", LISTS, language="sv")
    assert phrases(found) == ["typ"]


def test_a_hyphen_joins_words() -> None:
    assert lint_text(SV_BODY.format("Ett kram-kalas."), "m", LISTS, language="sv") == []


# --- emoji, emoticons, punctuation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("Välkommen 😀", "😀"),
        ("Bra jobbat 👍🏽", "👍🏽"),
        ("Vi ses ❤️", "❤️"),
        ("Trevligt ⭐", "⭐"),
        ("Välkommen :)", ":)"),
        ("Välkommen :-)", ":-)"),
        ("Välkommen ;)", ";)"),
        ("Välkommen :D", ":D"),
        ("Välkommen <3", "<3"),
        ("Hoppas vi ses:)", ":)"),
    ],
)
def test_emoji_and_emoticons_are_flagged(sentence: str, phrase: str) -> None:
    found = lint_text(SV_BODY.format(sentence), "m", LISTS, language="sv")
    assert [(f.kind, f.phrase, f.where) for f in found] == [("emoji", phrase, "m:3")]


@pytest.mark.parametrize(
    "sentence",
    [
        "Mötet börjar kl. 14:00 (i sal A).",
        "Svara inom <30 dagar.",
        "Se punkt 3 (bilaga 2).",
        "Följande gäller: (a) anmälan, (b) svar.",
        "Priset är 100 kr; (inklusive moms).",
        "Luleå → Stockholm, © I-sektionen.",
    ],
)
def test_ordinary_punctuation_is_not_an_emoticon(sentence: str) -> None:
    assert lint_text(SV_BODY.format(sentence), "m", LISTS, language="sv") == []


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [("Välkommen!!", "!!"), ("Kommer du??", "??"), ("Va?!", "?!"), ("Toppen!!!", "!!!")],
)
def test_repeated_exclamation_and_question_marks_are_flagged(sentence: str, phrase: str) -> None:
    found = lint_text(SV_BODY.format(sentence), "m", LISTS, language="sv")
    assert [(f.kind, f.phrase) for f in found] == [("punctuation", phrase)]


def test_single_marks_are_fine() -> None:
    text = SV_BODY.format("Välkommen! Kommer du? Svara gärna.")
    assert lint_text(text, "m", LISTS, language="sv") == []


# --- shouting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("Det är VIKTIGT att du svarar.", "VIKTIGT"),
        ("MYCKET VIKTIGT: svara i dag.", "MYCKET VIKTIGT"),
        ("Välkommen till ÅRSMÖTET.", "ÅRSMÖTET"),
        ("Please REPLY today.", "REPLY"),
    ],
)
def test_words_in_capitals_are_shouting(sentence: str, phrase: str) -> None:
    found = lint_text(SV_BODY.format(sentence), "m", LISTS)
    assert [(f.kind, f.phrase) for f in found] == [("shouting", phrase)]
    assert "ordinary case" in str(found[0])


@pytest.mark.parametrize(
    "sentence",
    [
        "Vi studerar vid LTU och samarbetar med KTH enligt GDPR.",
        "Gruppen finns på LinkedIn; kontakten har ID AN-0004 och AL-0003, ärende ABCD-0012.",
        "Läs mer på https://www.ltu.se/STUDENT/ALUMNI eller www.EXAMPLE.com/INFO.",
        "Skriv till ALUMNI@I-SEKTIONEN.SE eller KONTAKT@example.com.",
        "Se ltu.se/ALUMNI för detaljer.",
        "Besök I-SEKTIONEN.SE.",
        "Anställd på LKAB, SSAB och IKEA; medlem i ESTIEM.",
        "Industridagen XVII hålls i år.",
        "OBS: ny tid.",
    ],
)
def test_acronyms_ids_links_and_addresses_are_not_shouting(sentence: str) -> None:
    assert lint_text(SV_BODY.format(sentence), "m", LISTS, language="sv") == []


def test_informal_words_inside_links_and_addresses_are_not_flagged() -> None:
    text = SV_BODY.format("Se https://example.com/tjena?lol=1 eller skriv till kram@example.com.")
    assert lint_text(text, "m", LISTS, language="sv") == []


# --- greeting and sign-off --------------------------------------------------------------------


@pytest.mark.parametrize(
    "greeting",
    ["Hej Anna,", "Bästa Anna Ek,", "Hej Anna och Erik,", "Dear Anna,", "Hello Dr. Ek,", "Hej,"],
)
def test_formal_greetings_are_accepted(greeting: str) -> None:
    text = f"\n\n{greeting}\n\nVi hör av oss.\n\nMed vänliga hälsningar\nErik"
    assert lint_text(text, "m", LISTS) == []


def test_a_message_without_greeting_is_flagged_at_its_first_line() -> None:
    text = "\nVi hör av oss om mässan.\n\nMed vänliga hälsningar\nErik\n"
    [finding] = lint_text(text, "m", LISTS, language="sv")
    assert (finding.kind, finding.where) == ("greeting", "m:2")
    assert finding.phrase == "Vi hör av oss om mässan."
    assert "'Hej Anna,'" in str(finding)


def test_a_greeting_must_open_the_message() -> None:
    text = "Vi hör av oss.\nHej Anna,\n\nMed vänliga hälsningar\nErik\n"
    assert kinds(lint_text(text, "m", LISTS, language="sv")) == ["greeting"]


def test_a_greeting_line_is_not_a_sentence() -> None:
    text = "Hej Anna, hoppas allt är bra med dig.\n\nMed vänliga hälsningar\nErik\n"
    assert kinds(lint_text(text, "m", LISTS, language="sv")) == ["greeting"]


def test_a_message_without_sign_off_is_flagged_at_its_last_line() -> None:
    text = "Dear Anna,\n\nWe look forward to hearing from you.\n\nErik Berg\n"
    [finding] = lint_text(text, "m", LISTS, language="en")
    assert (finding.kind, finding.where, finding.phrase) == ("signature", "m:5", "Erik Berg")
    assert "'Kind regards'" in str(finding)


@pytest.mark.parametrize(
    "sign_off",
    [
        "Med vänliga hälsningar",
        "Vänliga hälsningar,",
        "Med vänlig hälsning",
        "Kind regards,",
        "Best regards",
        "Yours sincerely,",
    ],
)
def test_formal_sign_offs_are_accepted(sign_off: str) -> None:
    signature = "\n".join(["Erik Berg", "Alumniutskottet", "I-sektionen", "LTU", "070-123 45 67"])
    text = f"Hej Anna,\n\nVi hör av oss.\n\n{sign_off}\n{signature}\n"
    assert lint_text(text, "m", LISTS) == []


def test_an_informal_sign_off_is_reported_once() -> None:
    text = "Hej Anna,\n\nVi hör av oss.\n\nKram\nErik\n"
    assert [(f.kind, f.phrase) for f in lint_text(text, "m", LISTS)] == [("informal", "Kram")]


def test_greeting_and_signature_checks_can_be_turned_off() -> None:
    text = "Vi hör av oss."
    assert kinds(lint_text(text, "m", LISTS)) == ["greeting", "signature"]
    assert lint_text(text, "m", LISTS, require_greeting=False, require_signature=False) == []


def test_first_line_offsets_the_line_numbers() -> None:
    [finding] = lint_text("Hej Anna,\nlol", "m", LISTS, first_line=10, require_signature=False)
    assert finding.where == "m:11"


def test_a_template_without_greeting_or_sign_off_is_flagged(tmp_path: Path) -> None:
    path = write_template(tmp_path, "x.sv.j2", "Vi hör av oss, {{ name }}.\n{{ signature }}\n")
    found = lint_template_file(path, LISTS)
    assert [(f.kind, f.where) for f in found] == [
        ("greeting", f"{path}:5"),
        ("signature", f"{path}:6"),
    ]


# --- Jinja in templates -----------------------------------------------------------------------


def test_jinja_expressions_tags_and_comments_are_not_text(tmp_path: Path) -> None:
    body = (
        "Hej {{ name | default('tjena') }},\n"
        "\n"
        "{# lol, typ: en kommentar\n   över TVÅ RADER :) #}\n"
        "Vi planerar {{ 'HEJSAN!!' if cool else project }}{% if hey %} med {{ company }}{% endif %}.\n"
        "Kontakt: {{ person_email }}.\n"
        "\n"
        "Med vänliga hälsningar\n"
        "{{ signature }}\n"
    )
    path = write_template(tmp_path, "x.sv.j2", body, subject="Förfrågan: {{ 'kram' }}")
    assert lint_template_file(path, LISTS) == []


def test_line_numbers_survive_multiline_jinja(tmp_path: Path) -> None:
    body = "Hej {{ name }},\n{#\n\n\n#}\n{{ a\n  }} {% if x\n %}tjena{% endif %}\n\nMed vänliga hälsningar\n"
    path = write_template(tmp_path, "x.sv.j2", body)
    [finding] = lint_template_file(path, LISTS)
    assert (finding.where, finding.phrase) == (f"{path}:12", "tjena")


def test_all_blocks_are_linted_and_html_tags_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "x.en.j2"
    path.write_text(
        "{% block subject %}Hey there{% endblock %}\n"
        "{% block text %}\nDear {{ name }},\n\nWelcome.\n\nKind regards,\n{{ signature }}\n"
        "{% endblock %}\n"
        '{% block html %}\n<p class="COOL" title="lol">Dear {{ name }},</p>\n'
        '<p><a href="{{ link }}">Awesome</a> &amp; more!!</p>\n{% endblock %}\n',
        encoding="utf-8",
    )
    found = lint_template_file(path, LISTS)
    assert [(f.where, f.phrase, f.message) for f in found] == [
        (f"{path}:1", "Hey there", "informal word 'Hey there' in the subject"),
        (f"{path}:12", "Awesome", "informal word 'Awesome' in the HTML part"),
        (f"{path}:12", "!!", "repeated '!!' in the HTML part"),
    ]


def test_a_template_of_unknown_language_is_held_to_every_list(tmp_path: Path) -> None:
    path = write_template(
        tmp_path, "x.j2", "Hej {{ name }},\n\nTjena, hey.\n\nMed vänliga hälsningar\n"
    )
    assert phrases(lint_template_file(path, LISTS)) == ["Tjena", "hey"]


# --- the word lists ---------------------------------------------------------------------------


def test_the_shipped_lists_hold_the_policy_words() -> None:
    for word in ["tja", "tjena", "tjabba", "hallå", "hejsan", "hejhej", "mvh", "kram", "kramar"]:
        assert word in LISTS.informal["sv"]
    for word in ["puss", "lol", "asså", "ba", "fett", "grymt", "shit", "typ | av"]:
        assert word in LISTS.informal["sv"]
    for word in ["hey", "hiya", "yo", "cheers", "thx", "thanks!", "lol", "btw", "gonna"]:
        assert word in LISTS.informal["en"]
    for word in ["wanna", "cya", "xoxo", "awesome", "cool"]:
        assert word in LISTS.informal["en"]
    for language in ("sv", "en"):
        header = (TEMPLATES / "lint" / f"informal.{language}.txt").read_text(encoding="utf-8")
        assert header.startswith("# ")


def test_editing_the_word_list_adds_a_word(tmp_path: Path) -> None:
    folder = tmp_path / "lint"
    shutil.copytree(TEMPLATES / "lint", folder)
    text = SV_BODY.format("Vi bjuder på fika och knäck.")
    assert lint_text(text, "m", load_word_lists(folder), language="sv") == []
    with (folder / "informal.sv.txt").open("a", encoding="utf-8") as file:
        file.write("\n# Added by the committee\nknäck   # slang for a side job\n")
    [finding] = lint_text(text, "m", load_word_lists(folder), language="sv")
    assert finding.phrase == "knäck"


def test_word_list_format(tmp_path: Path) -> None:
    (tmp_path / "informal.sv.txt").write_text(
        "\ufeff# comment\n\n  Tjo  Flöjt  \nbra | jobbat, gjort  # inline comment\n#kram\n",
        encoding="utf-8",
    )
    (tmp_path / "informal.de.txt").write_text("servus\n", encoding="utf-8")
    (tmp_path / "informal.sv.old.txt").write_text("bra\n", encoding="utf-8")
    (tmp_path / "acronyms.txt").write_text("# our own\nSKOLA\n", encoding="utf-8")
    lists = load_word_lists(tmp_path)
    assert lists == WordLists(
        {"de": ("servus",), "sv": ("Tjo Flöjt", "bra | jobbat, gjort")}, frozenset({"SKOLA"})
    )
    text = SV_BODY.format("tjo\nflöjt! Bra jobbat, bra gjort, bra. SKOLA och KRAM.")
    found = lint_text(text, "m", lists, language="sv")
    assert [(f.kind, f.phrase) for f in found] == [
        ("informal", "tjo\nflöjt"),
        ("informal", "bra"),
        ("shouting", "KRAM"),
    ]


def test_a_folder_without_word_lists_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="informal"):
        load_word_lists(tmp_path)


def test_no_lists_still_checks_the_rest() -> None:
    found = lint_text("Hej Anna,\ntjena!!\nMed vänliga hälsningar", "m", WordLists({}))
    assert kinds(found) == ["punctuation"]


# --- language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hej Anna,\n\nVälkommen.", "sv"),
        ("Dear Åsa,\n\nWelcome to Luleå.", "en"),
        ("Welcome to Luleå, we hope you enjoy the stay.\n\nKind regards", "en"),
        ("Anna,\n\nVi ser fram emot att träffa dig och ditt team.", "sv"),
        ("Anna,\n\n12:00", None),
    ],
)
def test_guess_language(text: str, language: str | None) -> None:
    assert guess_language(text) == language


def test_a_rendered_message_is_held_to_its_own_language() -> None:
    # "ba" is Swedish slang, but in English it is a degree.
    text = EN_BODY.format("You hold a BA in economics and ba is fine here.")
    assert lint_rendered("Invitation", text, TO, LISTS) == []
    found = lint_rendered("Invitation", text, TO, LISTS, language="sv")
    assert [f.phrase for f in found if f.kind == "informal"] == ["BA", "ba"]


# --- `alumni lint`: exact output and exit status -----------------------------------------------


def test_alumni_lint_on_the_shipped_templates_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    count = len(list(TEMPLATES.glob("*.j2")))
    assert alumni(capsys, "lint") == (0, f"{count} templates checked, 0 findings.\n", "")


def test_alumni_lint_names_each_finding_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    (tmp_path / "bad.sv.j2").write_text("Tjena!! 😀\nHej då\n", encoding="utf-8")
    assert alumni(capsys, "lint", "bad.sv.j2") == (
        1,
        "bad.sv.j2:1: informal greeting 'Tjena' — write formally, e.g. 'Hej Anna,' / "
        "'Med vänliga hälsningar'\n"
        "bad.sv.j2:1: repeated '!!' — use a single '!' or '?'\n"
        "bad.sv.j2:1: emoji '😀' — remove it; write formally, e.g. 'Hej Anna,' / "
        "'Med vänliga hälsningar'\n"
        "bad.sv.j2:2: no sign-off at the end — end with a sign-off such as "
        "'Med vänliga hälsningar' and your name\n"
        "1 templates checked, 4 findings.\n",
        "",
    )


def test_alumni_lint_of_a_missing_file_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALUMNI_CONFIG", raising=False)
    assert alumni(capsys, "lint", "nosuch.j2") == (
        2,
        "",
        "alumni: nosuch.j2: no such template file.\n",
    )
