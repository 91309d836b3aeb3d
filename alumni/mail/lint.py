"""Checks that committee e-mails are formal: no slang, emoji or shouting; greeting and sign-off."""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


HINTS = {
    "sv": "write formally, e.g. 'Hej Anna,' / 'Med vänliga hälsningar'",
    "en": "write formally, e.g. 'Dear Anna,' / 'Kind regards'",
}

#: Capitalised words of four or more letters that are names or acronyms, not shouting.
#: The committee adds its own in `acronyms.txt` next to the word lists.
ACRONYMS = _words(
    "LTU KTH GDPR SMTP IMAP HTML HTTP HTTPS JSON XLSX ESTIEM LKAB SSAB IKEA SAAB AFRY KPMG NATO "
    "OECD COVID IEEE ISBN ISSN UNESCO UNICEF VINNOVA"
)

#: How many non-blank lines at the end of a message may hold the sign-off (the signature
#: below it can run to several lines).
SIGNATURE_WINDOW = 10

_GREETINGS = {
    "sv": ("hej", "bästa", "kära", "god morgon", "god dag", "goddag"),
    "en": ("dear", "hello", "good morning", "good afternoon", "good evening"),
}
_SIGN_OFFS = {
    "sv": (
        "med vänliga hälsningar",
        "vänliga hälsningar",
        "med vänlig hälsning",
        "vänlig hälsning",
        "med bästa hälsningar",
        "bästa hälsningar",
        "hälsningar",
    ),
    "en": (
        "with kind regards",
        "kind regards",
        "best regards",
        "warm regards",
        "regards",
        "yours sincerely",
        "sincerely",
        "yours faithfully",
        "best wishes",
    ),
}
# A few very common words decide the language of a message that has no greeting to go by.
_COMMON = {
    "sv": _words("och att det som för på är jag vi du med till av inte om ett din dig"),
    "en": _words("the and to of you we is for in on with that our your are be"),
}

# Stands in for a Jinja expression so that "Hej {{ name }}," still reads as a greeting.
_PLACEHOLDER = "\ue000"

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_BLOCK = re.compile(
    r"\{%-?\s*block\s+(\w+)[^%]*?-?%\}(.*?)\{%-?\s*endblock\b[^%]*?-?%\}", re.DOTALL
)
_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z!][^>]*>|&#?\w+;", re.DOTALL)
_TLDS = "se|com|org|net|nu|eu|io|edu|info|fi|no|dk|de|uk|gov|app|dev"
_ADDRESS = re.compile(
    r"(?:https?|ftp)://\S+|mailto:\S+|www\.\S+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    rf"|(?<![\w@.])(?:[\w-]+\.)+(?:{_TLDS})(?:/\S*)?(?![\w])(?!\.\w)",
    re.IGNORECASE,
)
_EMOJI_CHARS = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55"
    "\u231a\u231b\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa\u3030\u303d\u3297\u3299"
    "\u203c\u2049\u2139"
)
_EMOJI = re.compile(rf"[{_EMOJI_CHARS}](?:[{_EMOJI_CHARS}\ufe0f\u200d\U000e0020-\U000e007f])*")
# Smileys need some care: "14:00", "(se §3)" and "<30 dagar" are not emoticons.
_EMOTICON = re.compile(
    r"(?<![:;/])[:;=]-?[)(]+(?![\w])"
    r"|(?<!\S)[:;=]-?[DPp](?![\w])"
    r"|(?<![\w<])<3+(?![\w])"
)
_REPEATED = re.compile(r"[!?]{2,}")
_WORD = re.compile(r"(?<![\w])[^\W\d_]{4,}(?![\w])(?!-?\d)")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")


@dataclass(frozen=True)
class LintFinding:
    """One informal phrase in a template or a message, with what to write instead.

    `where` is "templates/x.sv.j2:12" for a template or the recipient for a rendered message,
    `kind` one of informal, emoji, punctuation, shouting, greeting, signature.
    """

    where: str
    phrase: str
    message: str
    kind: str = "informal"
    hint: str = HINTS["sv"]

    def __str__(self) -> str:
        return f"{self.where}: {self.message} — {self.hint}"


@dataclass(frozen=True)
class WordLists:
    """The informal words and phrases per language (entries as written, "typ | av" included),
    and the capitalised words beyond ACRONYMS that are not shouting."""

    informal: dict[str, tuple[str, ...]]
    acronyms: frozenset[str] = frozenset()


def load_word_lists(folder: Path) -> WordLists:
    """Read `informal.<language>.txt` (and `acronyms.txt` if present) from the folder."""
    folder = Path(folder)
    # Only informal.<language>.txt: a saved copy such as informal.sv.old.txt is not a list.
    files = sorted(p for p in folder.glob("informal.*.txt") if p.name.count(".") == 2)
    if not files:
        raise FileNotFoundError(f"there is no informal.<language>.txt in {folder}")
    informal = {path.name.split(".")[1]: tuple(_entries(path)) for path in files}
    acronyms_file = folder / "acronyms.txt"
    acronyms = frozenset(_entries(acronyms_file)) if acronyms_file.exists() else frozenset()
    return WordLists(informal, acronyms)


def _entries(path: Path) -> Iterable[str]:
    # utf-8-sig: the committee may save the list from an editor that writes a BOM.
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        entry = line if line.lstrip().startswith("#") else re.split(r"\s#", line)[0]
        entry = " ".join(unicodedata.normalize("NFC", entry).split())
        if entry and not entry.startswith("#"):
            yield entry


def lint_text(
    text: str,
    where: str,
    lists: WordLists,
    *,
    language: str | None = None,
    require_greeting: bool = True,
    require_signature: bool = True,
    first_line: int = 1,
) -> list[LintFinding]:
    """Lint a text; each finding's `where` is `where:<line>`, counting from `first_line`."""
    return _lint(
        text,
        lambda line: f"{where}:{line}",
        lists,
        language=language,
        greeting=require_greeting,
        signature=require_signature,
        first_line=first_line,
    )


def lint_rendered(
    subject: str, text: str, where: str, lists: WordLists, *, language: str | None = None
) -> list[LintFinding]:
    """Lint a rendered message before it is sent; `where` names the recipient.

    The language is guessed from the greeting and the wording unless given.
    """
    language = language or guess_language(text)

    def locate(_line: int) -> str:
        return where

    found = _lint(
        subject,
        locate,
        lists,
        language=language,
        greeting=False,
        signature=False,
        part="the subject",
    )
    return found + _lint(text, locate, lists, language=language, greeting=True, signature=True)


def lint_template_file(path: Path, lists: WordLists) -> list[LintFinding]:
    """Lint the subject, text and html blocks of a template as written, by file and line.

    Jinja expressions, tags and comments are not text and are skipped; in the text block an
    expression counts as a name, so "Hej {{ name }}," is a greeting.
    """
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    shown = _shown(path)
    parts = path.name.split(".")
    language = parts[-2] if len(parts) >= 3 else None
    blocks = [(m.group(1), m.start(2), m.group(2)) for m in _BLOCK.finditer(raw)]
    if not blocks:
        blocks = [("text", 0, raw)]
    found: list[LintFinding] = []
    for name, start, content in blocks:
        text = _JINJA.sub(_blank_jinja, content)
        if name == "html":
            text = _HTML.sub(_blank, text)
        found += _lint(
            text,
            lambda line: f"{shown}:{line}",
            lists,
            language=language,
            greeting=name == "text",
            signature=name == "text",
            first_line=raw.count("\n", 0, start) + 1,
            part={"subject": "the subject", "html": "the HTML part"}.get(name, ""),
        )
    return found


def lint_templates(folder: Path, lists: WordLists) -> list[LintFinding]:
    """Lint every `*.j2` template in the folder."""
    found: list[LintFinding] = []
    for path in sorted(Path(folder).glob("*.j2")):
        found += lint_template_file(path, lists)
    return found


def guess_language(text: str) -> str | None:
    """ "sv" or "en" from the greeting, the sign-off or the commonest words; None if unclear."""
    lowered = unicodedata.normalize("NFC", text).casefold()
    lines = [line.strip() for line in lowered.splitlines() if line.strip()]
    for language in ("sv", "en"):
        if lines and _starts_with(lines[0], _GREETINGS[language]):
            return language
    for language in ("sv", "en"):
        if any(_starts_with(line, _SIGN_OFFS[language]) for line in lines[-SIGNATURE_WINDOW:]):
            return language
    words = re.findall(r"\w+", lowered)
    sv = sum(word in _COMMON["sv"] for word in words)
    en = sum(word in _COMMON["en"] for word in words)
    return "sv" if sv > en else "en" if en > sv else None


def _lint(
    text: str,
    locate: Callable[[int], str],
    lists: WordLists,
    *,
    language: str | None,
    greeting: bool,
    signature: bool,
    first_line: int = 1,
    part: str = "",
) -> list[LintFinding]:
    text = unicodedata.normalize("NFC", text)
    # Addresses and links are not prose: "HTTPS", "lol.se" and "a:)" in them mean nothing.
    text = _ADDRESS.sub(_blank, text)
    hint = HINTS.get(language or "sv", HINTS["sv"])
    suffix = f" in {part}" if part else ""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_index(pos: int) -> int:
        return bisect.bisect_right(starts, pos) - 1

    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    opening = filled[0] if filled else None
    # The sign-off sits in the last paragraph, within its last few lines ("Mvh\nErik").
    end = filled[-1] if filled else 0
    last_blank = max((i for i in range(end) if not lines[i].strip()), default=-1)
    closing = {i for i in filled[-4:] if i > last_blank and i != opening}
    found: list[tuple[int, LintFinding]] = []

    def add(pos: int, phrase: str, message: str, kind: str, hint: str = hint) -> None:
        where = locate(first_line + line_index(pos))
        found.append((pos, LintFinding(where, phrase, message + suffix, kind, hint)))

    greeted = signed = False
    for m in _informal_pattern(_entries_for(lists, language)).finditer(text):
        index = line_index(m.start())
        at_start = not text[starts[index] : m.start()].strip()
        if greeting and at_start and index == opening:
            greeted = True
            add(m.start(), m.group(), f"informal greeting '{m.group()}'", "informal")
        elif signature and at_start and index in closing:
            signed = True
            add(m.start(), m.group(), f"informal sign-off '{m.group()}'", "informal")
        else:
            add(m.start(), m.group(), f"informal word '{m.group()}'", "informal")

    for pattern, what in ((_EMOJI, "emoji"), (_EMOTICON, "emoticon")):
        for m in pattern.finditer(text):
            add(m.start(), m.group(), f"{what} '{m.group()}'", "emoji", f"remove it; {hint}")
    for m in _REPEATED.finditer(text):
        add(
            m.start(),
            m.group(),
            f"repeated '{m.group()}'",
            "punctuation",
            "use a single '!' or '?'",
        )
    for start, phrase in _shouting(text, lists.acronyms):
        add(
            start,
            phrase,
            f"shouting '{phrase}'",
            "shouting",
            f"write '{phrase.capitalize()}' in ordinary case (capitals only for acronyms "
            "such as LTU; the committee lists its own in acronyms.txt)",
        )

    known = (language,) if language in _GREETINGS else ("sv", "en")
    example = "'Dear Anna,'" if language == "en" else "'Hej Anna,'"
    if (
        greeting
        and not greeted
        and not (opening is not None and _is_greeting(lines[opening], known))
    ):
        pos = starts[opening] if opening is not None else 0
        phrase = lines[opening].strip() if opening is not None else ""
        add(
            pos,
            phrase,
            "no greeting at the start",
            "greeting",
            f"begin with a line such as {example}",
        )
    if (
        signature
        and not signed
        and not any(
            _starts_with(
                lines[i].strip().casefold(), tuple(s for k in known for s in _SIGN_OFFS[k])
            )
            for i in filled[-SIGNATURE_WINDOW:]
        )
    ):
        last = filled[-1] if filled else 0
        sign_off = "'Kind regards'" if language == "en" else "'Med vänliga hälsningar'"
        add(
            starts[last],
            lines[last].strip() if filled else "",
            "no sign-off at the end",
            "signature",
            f"end with a sign-off such as {sign_off} and your name",
        )
    found.sort(key=lambda item: item[0])
    return [finding for _pos, finding in found]


def _entries_for(lists: WordLists, language: str | None) -> tuple[str, ...]:
    if language in lists.informal:
        return lists.informal[language]
    # A message of unknown language is held to every list.
    return tuple(dict.fromkeys(e for entries in lists.informal.values() for e in entries))


@functools.lru_cache(maxsize=32)
def _informal_pattern(entries: tuple[str, ...]) -> re.Pattern[str]:
    alternatives: list[tuple[int, str]] = []
    for entry in entries:
        phrase, _bar, unless = entry.partition("|")
        words = phrase.split()
        if not words:
            continue
        body = r"\s+".join(re.escape(word) for word in words)
        # Whole words only, and a hyphen joins words: "kram" is not in "kramp" or "kram-kalas".
        if re.match(r"\w", words[0]):
            body = r"(?<![\w])(?<!\w-)" + body
        if re.search(r"\w$", words[-1]):
            body += r"(?![\w])(?!-\w)"
        exceptions = [" ".join(e.split()) for e in unless.split(",") if e.strip()]
        if exceptions:
            allowed = "|".join(r"\s+".join(map(re.escape, e.split())) for e in exceptions)
            body += rf"(?!\s+(?:{allowed})(?![\w]))"
        alternatives.append((len(phrase), body))
    if not alternatives:
        return re.compile(r"(?!)")
    # Longest first, so "puss och kram" is one finding rather than "puss" and "kram".
    alternatives.sort(key=lambda item: -item[0])
    return re.compile("|".join(body for _n, body in alternatives), re.IGNORECASE)


def _shouting(text: str, extra: frozenset[str]) -> list[tuple[int, str]]:
    allowed = ACRONYMS | {word.upper() for word in extra}
    runs: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if not word.isupper() or word in allowed or _ROMAN.fullmatch(word):
            continue
        # "MYCKET VIKTIGT INFO" is one finding, not three.
        if runs and text[runs[-1][1] : m.start()] in (" ", "  "):
            runs[-1] = (runs[-1][0], m.end())
        else:
            runs.append((m.start(), m.end()))
    return [(start, text[start:end]) for start, end in runs]


def _is_greeting(line: str, languages: Iterable[str]) -> bool:
    line = line.strip()
    lowered = line.casefold()
    for language in languages:
        for word in _GREETINGS[language]:
            if re.match(rf"{re.escape(word)}(?![\w])", lowered):
                rest = line[len(word) :].strip().rstrip(",!.:").strip()
                # A name, not a sentence: "Hej Anna," but not "Hej Anna, hoppas allt är bra".
                if "," not in rest and len(rest.split()) <= 6:
                    return True
    return False


def _starts_with(line: str, phrases: tuple[str, ...]) -> bool:
    return any(re.match(rf"{re.escape(p)}(?![\w])", line) for p in phrases)


def _blank(m: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", m.group())


def _blank_jinja(m: re.Match[str]) -> str:
    blank = _blank(m)
    return _PLACEHOLDER + blank[1:] if m.group().startswith("{{") else blank


def _shown(path: Path) -> str:
    # Relative to the working directory when possible: "templates/x.sv.j2:12" reads better.
    try:
        return str(path.relative_to(Path.cwd())) if path.is_absolute() else str(path)
    except ValueError:
        return str(path)
