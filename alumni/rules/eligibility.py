"""§3.1 rule: which join requests to the LinkedIn group to approve, reject or look at by hand."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from alumni.addresses import is_email
from alumni.contract import (
    APPLICATIONS,
    BLANK_CHARS,
    GRADUATES,
    MAX_YEAR,
    MIN_YEAR,
    ROW,
    Decision,
    cell_text,
)

ASSESSMENT, REASON, DUPLICATE_OF, HANDLED = "Bedömning", "Motivering", "duplicate_of", "handled"

RULE = "the application check"
NEEDS: dict[str, tuple[str, ...]] = {
    APPLICATIONS.name: (
        # What the applicant wrote, and the order and keys that tell a duplicate.
        "Tidstämpel",
        "ID",
        "Namn",
        "E-post",
        "LinkedIn",
        "Program",
        "Lärosäte",
        "Examensår",
        # The chair's word, which the check never overrides.
        "Beslut",
        "Godkänd i LinkedIn",
        # The check's own earlier output: read so that only what changed is written.
        ASSESSMENT,
        REASON,
        "Bedömd",
    ),
    GRADUATES.name: ("ID", "Namn", "E-post", "Examensår"),
}
"""The columns each tab must have, readable, for the check to judge a request."""

CANDIDATE_SCORE = 80.0
"""How close a name must come to be offered to the chair as a possible match."""

_MAX_SHOWN = 3
_CHUNK = 256  # application names per cdist call: keeps the score matrix near 20 MB
_QUOTE_LEN = 60
_TYPO_SCORE = 85.0
_JOINED_SCORE = 95.0
_SLIP_LEN = 5  # shorter names differ by one letter from other names: Anna, Anne, Hanna
_SHORT = 3  # aliases this short match only exactly: a typo of "ltu" is just another word

# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_NOT_WORD = re.compile(r"[\W_]+")
_LINKEDIN = re.compile(r"(?:[a-z]{2,3}\.)?linkedin\.com/(.*)")
_PROFILE = re.compile(r"in/[^/]+")


@dataclass(frozen=True)
class Aliases:
    """How people write the programme and the university, and what names another one.

    `programme` and `university` are the spellings that count as Industriell ekonomi and as
    Luleå tekniska universitet. The `*_words` say that a text names some programme or
    university at all (matched inside words, so "teknik" covers "Maskinteknik"), and `filler`
    are words that say nothing on their own ("Civilingenjör", "programmet"): a text needs a
    word beyond those to be a statement against.
    """

    programme: tuple[str, ...] = (
        "industriell ekonomi",
        "industrial engineering and management",
        "industrial engineering management",
        "industrial economics",
        "indek",
        "ind ek",
        "i",
        "iek",
        "ie",
        "i-programmet",
        "i-sektionen",
        "civilingenjör industriell ekonomi",
        "civilingenjörsprogrammet i industriell ekonomi",
        "högskoleingenjör industriell ekonomi",
        "master industriell ekonomi",
    )
    university: tuple[str, ...] = (
        "luleå tekniska universitet",
        "ltu",
        "luleå university of technology",
        "lulea tekniska universitet",
        "luleå",
        "luleå tekniska",
        "luleå tekniska högskola",
        "tekniska universitetet i luleå",
        "lulea university",
    )
    programme_words: tuple[str, ...] = (
        "program",
        "tekni",
        "ingenjor",
        "engineering",
        "ekonom",
        "economics",
        "vetenskap",
        "science",
        "fysik",
        "kemi",
        "biologi",
        "matematik",
        "juridik",
        "medicin",
        "arkitekt",
        "design",
        "kandidat",
        "bachelor",
        "master",
        "magister",
    )
    university_words: tuple[str, ...] = (
        "universitet",
        "university",
        "hogskola",
        "hogskolan",
        "college",
        "school",
        "institut",
        "kth",
        "chalmers",
        "lth",
        "liu",
        "uu",
        "umu",
        "gu",
        "su",
        "lu",
        "kau",
        "bth",
        "mdh",
        "mau",
        "miun",
        "oru",
        "hig",
        "ntnu",
        "dtu",
        "aalto",
        "eth",
    )
    filler: tuple[str, ...] = (
        "civ",
        "ing",
        "civing",
        "civilingenjor",
        "civilingenjorsprogrammet",
        "civilingenjorsprogram",
        "program",
        "programmet",
        "programme",
        "student",
        "examen",
        "master",
        "kandidat",
        "sektionen",
        "linje",
        "linjen",
        "ekonomi",
        "economics",
        "engineering",
        "management",
        "teknik",
    )


def name_words(text: str) -> list[str]:
    """The words of a text without case, accents or punctuation: "Öberg-Lind" → oberg, lind.

    Text is first brought to its compatibility form, so that full-width letters and a name
    typed with decomposed accents (NFD, as some Macs paste it) read like any other. Unlike
    `contract.fold`, which compares whole cells, this takes a name apart for fuzzy matching.
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare).split()


def normalise_name(name: str) -> str:
    """A person's name as a key: its `name_words`, sorted.

    Sorting makes "Öberg-Lind, Åsa", "Asa Oberg Lind" and "Åsa Öberg-Lind" the same key, so
    that the order of first and last names does not matter.
    """
    return " ".join(sorted(name_words(name)))


def names_agree(typed: str, listed: str) -> bool:
    """Whether a name typed in an application can be the listed graduate's name.

    Written differently is not someone else: case, accents (Åsa, Asa and the Aasa of a
    keyboard without å), punctuation, the order of the names, a middle name or a second
    surname left out (Anna Berg for Anna Maria Berg-Lind), a double surname written as one
    word (Berglind for Berg-Lind), a first name as an initial (A. Berg) and one slip of the
    keyboard in a word of five letters or more (Lindqvist, Lindquist) all agree. Every word of
    the shorter name must be found in the longer one, each once, and at least two of them
    (one in full) when both names have two: "Anna" alone does not agree with "Anna Berg".
    Other first names never agree, however close: Johan is not Johanna, nor Anna Anne.
    """
    a, b = name_words(typed), name_words(listed)
    a, b = _joined(a, b), _joined(b, a)
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    left, unmatched, pairs = list(long), list(short), []
    # Whole words first, so that an initial or a slip cannot take a word another one names.
    for same in (_same_whole, _same_part):
        still = []
        for word in unmatched:
            hit = next((w for w in left if same(word, w)), None)
            if hit is None:
                still.append(word)
            else:
                left.remove(hit)
                pairs.append((word, hit))
        unmatched = still
    if unmatched:
        return False
    full = any(len(x) > 1 and len(y) > 1 for x, y in pairs)
    return full and len(pairs) >= min(2, len(long))


def _joined(words: list[str], other: list[str]) -> list[str]:
    """`words` with two neighbours run together where `other` writes them as one word."""
    targets = set(other)
    out: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words) and words[i] + words[i + 1] in targets:
            out.append(words[i] + words[i + 1])
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def _transliterated(word: str) -> str:
    """A folded word with å, ä and ö written as aa, ae and oe brought back to one letter."""
    return word.replace("aa", "a").replace("ae", "a").replace("oe", "o")


def _same_whole(typed: str, listed: str) -> bool:
    return typed == listed or _transliterated(typed) == _transliterated(listed)


def _same_part(typed: str, listed: str) -> bool:
    """Whether one word of a name can be another written differently (see `names_agree`)."""
    initial, word = sorted((typed, listed), key=len)
    if len(initial) == 1:
        return word.startswith(initial)
    return len(initial) >= _SLIP_LEN and Levenshtein.distance(typed, listed) <= 1


def assess_applications(
    applications: pd.DataFrame,
    roster: pd.DataFrame,
    aliases: Aliases = Aliases(),
    threshold: float = 90.0,
    judged: Sequence[bool] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Assess each join request against the graduating class and what the applicant wrote.

    The policy (§3.1) lets in everyone who has studied Industriell ekonomi at LTU and no
    one else, so the evidence that counts most is the chair's own list, Avgångsklass. An
    application whose e-mail address is in it (ignoring case) is `Godkänn` when its name
    agrees with that graduate's (`names_agree`), and `Granska` when it names someone else,
    since an address is easy to type in another's name. So is `Godkänn` an application
    whose name equals exactly one roster person's after `normalise_name` and whose
    Examensår is that person's. A name that only comes close (rapidfuzz's token sort ratio
    at least `threshold`: Johan against Johanna scores 91), that fits several people, or that
    comes without the right year is `Granska`, since namesakes are common. A roster match wins
    over an oddly typed programme, but an application that names another university is
    `Granska` even then.

    Without a roster match, a Program or Lärosäte that clearly names something else is
    `Avslå`; the claim of Industriell ekonomi at LTU is `Granska`, and so is anything that
    says too little (a pasted LinkedIn request: a name and a headline), with the closest
    roster names offered as candidates. Programme and university are compared with the
    `aliases` after folding case, accents and punctuation, forgiving small typos.

    A later application from the same person (the same e-mail address, the same LinkedIn
    profile, or the same name and year) is `Granska` as a duplicate of the earliest one;
    "later" is by Tidstämpel, then by sheet row, with rows without a time after those with
    one. When an earlier one was already approved in LinkedIn, the duplicate is `handled`.
    Rows where the chair has written a Beslut are not assessed.

    `judged` (by position; all rows when None) says which rows the check may judge: the
    others, whose cells could not all be read, get no assessment and count neither as
    approved in LinkedIn nor as a decision; an application that may be the same person as one
    of them is `Granska` rather than judged as if that row were not there.

    `applications` is the Ansökningar frame and `roster` the Avgångsklass frame as the sheet
    reader gives them. Returns a frame with the index of `applications` and the columns
    `Bedömning` ("" for a row with a Beslut or not judged), `Motivering` (one Swedish
    sentence, or ""), `duplicate_of` (the ID of the earlier application, or "") and
    `handled` (bool). No row's result depends on the order of the rows.
    """
    apps = _Applications(applications, judged)
    people = _Roster(roster)
    names = _NameMatches(
        apps.names, people.names, people.rank, min(threshold, CANDIDATE_SCORE), threshold
    )
    duplicates, unread_kin = _find_duplicates(apps)

    n = len(applications)
    assessment = [""] * n
    reason = [""] * n
    duplicate_of = [""] * n
    handled = [False] * n
    for i in range(n):
        if apps.decided[i] or not apps.judged[i]:
            continue
        dup = duplicates.get(i)
        kin = unread_kin.get(i)
        if dup is None and kin is not None:
            verdict, why = (
                Decision.REVIEW,
                f"Kan vara samma person som {_earlier(apps, kin)}, vars rad inte kunde läsas",
            )
        elif dup is not None:
            original, approved = dup
            verdict, why = Decision.REVIEW, f"Dubblett av {_earlier(apps, original)}"
            if approved:
                why += ", redan godkänd i LinkedIn"
            duplicate_of[i], handled[i] = apps.ids[original], approved
        else:
            verdict, why = _assess(i, apps, people, names, aliases)
        assessment[i] = verdict
        reason[i] = why + "." + (" LinkedIn-länken är inte en profil." if apps.bad_link[i] else "")

    index = applications.index
    return pd.DataFrame(
        {
            ASSESSMENT: pd.Series(assessment, index=index, dtype=object),
            REASON: pd.Series(reason, index=index, dtype=object),
            DUPLICATE_OF: pd.Series(duplicate_of, index=index, dtype=object),
            HANDLED: pd.Series(handled, index=index, dtype=bool),
        },
        index=index,
    )


def _assess(
    i: int, apps: _Applications, people: _Roster, names: _NameMatches, aliases: Aliases
) -> tuple[str, str]:
    """The assessment of one undecided, non-duplicate application, and its reason unpunctuated."""
    if not apps.names[i]:
        return Decision.REVIEW, "Namn saknas"
    programme, university = apps.programmes[i], apps.universities[i]
    is_ie, other_programme = _judge(programme, aliases.programme, aliases.programme_words, aliases)
    is_ltu, other_university = _judge(
        university, aliases.university, aliases.university_words, aliases
    )
    found = _on_roster(i, apps, people, names)
    if found is not None:
        verdict, why = found
        if not other_university:
            return verdict, why
        # A graduate may type the programme oddly, but naming another university is a claim
        # the chair should see before anyone is let in.
        joint = " men " if verdict == Decision.APPROVE else "; "
        return Decision.REVIEW, f"{why}{joint}uppger lärosätet '{_quote(university)}'"

    if other_programme:
        return Decision.REJECT, f"Programmet '{_quote(programme)}' är inte Industriell ekonomi"
    if other_university:
        return (
            Decision.REJECT,
            f"Lärosätet '{_quote(university)}' är inte Luleå tekniska universitet",
        )
    if is_ie and is_ltu:
        return Decision.REVIEW, "Uppger Industriell ekonomi vid LTU men finns inte i Avgångsklass"
    candidates = people.persons(names.candidates(i))
    if candidates:
        shown = "; ".join(people.label(p) for p in candidates[:_MAX_SHOWN])
        return Decision.REVIEW, f"Trolig match: {shown}"
    return Decision.REVIEW, "Ingen träff i Avgångsklass"


def _on_roster(
    i: int, apps: _Applications, people: _Roster, names: _NameMatches
) -> tuple[str, str] | None:
    """What the roster says about one application, or None when nobody there matches."""
    by_mail = people.by_email.get(apps.emails[i]) if apps.emails[i] else None
    if by_mail is not None:
        # An address is easy to type in someone else's name: it approves only with the name.
        if not names_agree(apps.raw_names[i], people.raw_names[by_mail]):
            return Decision.REVIEW, (
                f"E-postadressen hör till {people.raw_names[by_mail]} i Avgångsklass"
                f"{people.year_text(by_mail)}, men namnet är ett annat"
            )
        return Decision.APPROVE, f"Finns i Avgångsklass{people.year_text(by_mail)} (e-post)"
    # Namesakes are common (and Johan scores 91 against Johanna), so only an equal name of
    # exactly one person, with that person's year, is enough to approve.
    for rows, check in ((names.equal(i), "examensår"), (names.close(i), "namnet")):
        persons = people.persons(rows)
        if len(persons) > 1:
            return Decision.REVIEW, f"Namnet passar flera i Avgångsklass: {people.listing(persons)}"
        if len(persons) == 1:
            person = persons[0]
            year = apps.years[i]
            if check == "examensår" and year is not None and year == people.years[person]:
                return Decision.APPROVE, (
                    f"Finns i Avgångsklass{people.year_text(person)} (namn och examensår)"
                )
            return Decision.REVIEW, f"Trolig match: {people.label(person)}; kontrollera {check}"
    return None


def _earlier(apps: _Applications, i: int) -> str:
    """The earlier application as the sheet names it: its ID, and the name when there is one."""
    row_id, name = apps.ids[i], apps.raw_names[i]
    if not row_id:
        # Never a row number: rows move when people sort.
        row_id = "en tidigare ansökan"
    return f"{row_id} ({name})" if name else row_id


def _quote(text: str) -> str:
    return text if len(text) <= _QUOTE_LEN else text[: _QUOTE_LEN - 3] + "..."


def _judge(
    text: str, spellings: Sequence[str], words: Sequence[str], aliases: Aliases
) -> tuple[bool, bool]:
    """Whether a free text names the one we want, and whether it clearly names another."""
    return _judge_folded(
        tuple(name_words(text)), tuple(spellings), tuple(words), tuple(aliases.filler)
    )


@lru_cache(maxsize=4096)
def _judge_folded(
    tokens: tuple[str, ...],
    spellings: tuple[str, ...],
    words: tuple[str, ...],
    filler: tuple[str, ...],
) -> tuple[bool, bool]:
    if not tokens:
        return False, False
    if any(_names(tokens, tuple(name_words(alias)), filler) for alias in spellings):
        return True, False
    telling = [t for t in tokens if t not in filler and not t.isdigit()]
    short = {w for w in words if len(w) <= _SHORT}
    long = [w for w in words if len(w) > _SHORT]
    other = any(t in short or any(w in t for w in long) for t in telling)
    return False, other


def _names(tokens: tuple[str, ...], alias: tuple[str, ...], filler: tuple[str, ...]) -> bool:
    """Whether the words of a text contain one alias, as consecutive words, typos forgiven.

    A one-letter alias ("I") must be all the text says besides filler and years, since "i"
    is also the Swedish "in"; other short aliases must appear as a word of their own.
    """
    if not alias:
        return False
    if len(alias) == 1 and len(alias[0]) == 1:
        telling = [t for t in tokens if t not in filler and not t.isdigit()]
        return telling == list(alias)
    # Words run together ("Industriellekonomi") get less slack than separate ones, since
    # the whole string would forgive the very word that tells places apart ("Lunds tekniska
    # högskola").
    joined = "".join(alias)
    if len(alias) > 1 and any(fuzz.ratio(joined, t) >= _JOINED_SCORE for t in tokens):
        return True
    width = len(alias)
    return any(
        all(_same_word(t, a) for t, a in zip(tokens[start : start + width], alias, strict=True))
        for start in range(len(tokens) - width + 1)
    )


def _same_word(typed: str, word: str) -> bool:
    if len(word) <= _SHORT:
        return typed == word
    return fuzz.ratio(typed, word) >= _TYPO_SCORE


class _Applications:
    """The columns of the Ansökningar frame that the rule reads, cleaned, by position."""

    def __init__(self, frame: pd.DataFrame, judged: Sequence[bool] | np.ndarray | None) -> None:
        self.judged = [True] * len(frame) if judged is None else [bool(j) for j in judged]
        self.ids = _texts(frame, "ID")
        self.raw_names = _texts(frame, "Namn")
        self.names = [normalise_name(name) for name in self.raw_names]
        self.emails = [_email_key(e) for e in _texts(frame, "E-post")]
        links = _texts(frame, "LinkedIn")
        self.links = [_profile_key(link) for link in links]
        self.bad_link = [bool(raw) and not key for raw, key in zip(links, self.links, strict=True)]
        self.programmes = _texts(frame, "Program")
        self.universities = _texts(frame, "Lärosäte")
        self.years = _years(frame, "Examensår")
        self.decided = [bool(b) for b in _texts(frame, "Beslut")]
        # A date that could not be read is not an approval.
        filled = _filled(frame, "Godkänd i LinkedIn")
        self.approved = [f and ok for f, ok in zip(filled, self.judged, strict=True)]
        self.order = _arrival(frame)


class _Roster:
    """The Avgångsklass frame as lookups: by e-mail address and by position."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.ids = _texts(frame, "ID")
        self.raw_names = _texts(frame, "Namn")
        self.names = [normalise_name(name) for name in self.raw_names]
        self.years = _years(frame, "Examensår")
        # The same address twice in the roster is one person; the lowest ID keeps the choice
        # independent of how the chair sorted the tab.
        self.by_email: dict[str, int] = {}
        emails = _texts(frame, "E-post")
        for i in sorted(range(len(self.ids)), key=lambda i: (self.ids[i], i), reverse=True):
            key = _email_key(emails[i])
            if key:
                self.by_email[key] = i

    def rank(self, i: int) -> tuple[int, str, str]:
        """A roster row's place among namesakes: by year, then ID, never by the tab's order."""
        year = self.years[i]
        return (year if year is not None else 0, self.ids[i], self.raw_names[i])

    def persons(self, rows: Iterable[int]) -> list[int]:
        """One roster row per distinct person (name and year), keeping the order given."""
        seen: dict[tuple[str, int | None], int] = {}
        for i in rows:
            seen.setdefault((self.names[i], self.years[i]), i)
        return list(seen.values())

    def year_text(self, i: int) -> str:
        year = self.years[i]
        return f" {year}" if year is not None else ""

    def label(self, i: int) -> str:
        return f"{self.raw_names[i]}, Avgångsklass{self.year_text(i)}"

    def listing(self, rows: Sequence[int]) -> str:
        shown = ", ".join(
            f"{self.raw_names[i]} ({self.years[i] if self.years[i] is not None else 'år saknas'})"
            for i in rows[:_MAX_SHOWN]
        )
        more = len(rows) - _MAX_SHOWN
        return f"{shown} och {more} till" if more > 0 else shown


class _NameMatches:
    """The roster names close to each application's name, best first, scored once for all.

    Names are compared as normalised keys, whose words are already sorted, so rapidfuzz's
    plain ratio on them equals its token sort ratio on the names while skipping the sorting.
    Each distinct name is scored once against every roster name (rapidfuzz's cdist, in blocks),
    and of the scores only what the rule can use leaves numpy: every name at the `threshold` or
    above, which may decide, and the `_MAX_SHOWN` best at `CANDIDATE_SCORE` or above, which are
    all the chair is shown as candidates. When many names share words ("Maria Andersson"),
    each comes within `CANDIDATE_SCORE` of a share of the whole roster, and handling all of
    those in Python made the work per application grow with the roster.
    """

    def __init__(
        self,
        queries: Sequence[str],
        choices: Sequence[str],
        rank: Callable[[int], Any],
        cutoff: float,
        threshold: float,
    ) -> None:
        self.threshold = threshold
        self._queries = list(queries)
        self._rows_of: dict[str, list[int]] = {}
        for i, name in enumerate(choices):
            if name:
                self._rows_of.setdefault(name, []).append(i)
        for namesakes in self._rows_of.values():
            namesakes.sort(key=rank)
        keys = sorted(self._rows_of)
        column = {key: c for c, key in enumerate(keys)}
        wanted = sorted({q for q in queries if q})
        self._close: dict[str, list[tuple[float, str]]] = {}
        self._best: dict[str, list[tuple[float, str]]] = {}
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            if not keys:
                break
            scores = process.cdist(
                part,
                keys,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=cutoff,
                dtype=np.float32,
                workers=-1,
            )
            # The query's own name is its equal: neither a close name nor a candidate.
            own = [(r, column[q]) for r, q in enumerate(part) if q in column]
            if own:
                scores[tuple(np.array(own).T)] = -np.inf
            self._keep(part, keys, scores, cutoff)

    def _keep(
        self, part: Sequence[str], keys: Sequence[str], scores: np.ndarray, cutoff: float
    ) -> None:
        """Of one block of scores, keep every name at the threshold and the best candidates.

        Per query, best first, then in the order of `keys`; the caller has scored the query's
        own name -inf, so it is neither.
        """
        rows, cols = np.nonzero(scores >= _at_least(cutoff))
        values = scores[rows, cols]
        order = np.lexsort((cols, -values, rows))  # by query, best first, then by name
        rows, cols, values = rows[order], cols[order], values[order]
        place = np.arange(len(rows)) - np.searchsorted(rows, rows)
        best = (place < _MAX_SHOWN) & (values >= _at_least(CANDIDATE_SCORE))
        for kept, into in (
            (values >= _at_least(self.threshold), self._close),
            (best, self._best),
        ):
            for r, c, v in zip(
                rows[kept].tolist(), cols[kept].tolist(), values[kept].tolist(), strict=True
            ):
                into.setdefault(part[r], []).append((v, keys[c]))

    def equal(self, i: int) -> list[int]:
        return list(self._rows_of.get(self._queries[i], [])) if self._queries[i] else []

    def close(self, i: int) -> list[int]:
        """Roster rows whose name scores at least the threshold without being equal."""
        return self._rows(self._close, i)

    def candidates(self, i: int) -> list[int]:
        """Roster rows of the best few names that score at least `CANDIDATE_SCORE`.

        Each name is at least one person, so these hold the first `_MAX_SHOWN` persons.
        """
        return self._rows(self._best, i)

    def _rows(self, hits: dict[str, list[tuple[float, str]]], i: int) -> list[int]:
        return [row for _, key in hits.get(self._queries[i], []) for row in self._rows_of[key]]


def _at_least(score: float) -> np.float32:
    """The lowest float32 score that is at least `score`, so a threshold cuts float32 scores
    where it cuts them as Python floats: 90.1 is not float32(90.1), which is a little less."""
    low = np.float32(score)
    return low if float(low) >= score else np.nextafter(low, np.float32(np.inf))


def _find_duplicates(
    apps: _Applications,
) -> tuple[dict[int, tuple[int, bool]], dict[int, int]]:
    """Each later application of a person: the earlier one it repeats, and if that is done;
    and each judged application of a person who also has a row not judged: the first such row.

    Applications are the same person's when any key links them, also through a third one (a
    shared e-mail with one, a shared profile with another). A duplicate points at the earliest
    application of its person that was already approved in LinkedIn before it, or else at
    the earliest one.
    """
    parent = list(range(len(apps.ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, Any], int] = {}
    for i in range(len(apps.ids)):
        keys: list[tuple[str, Any]] = []
        if apps.emails[i]:
            keys.append(("e-post", apps.emails[i]))
        if apps.links[i]:
            keys.append(("linkedin", apps.links[i]))
        if apps.names[i] and apps.years[i] is not None:
            keys.append(("namn", (apps.names[i], apps.years[i])))
        for key in keys:
            other = first_with.setdefault(key, i)
            a, b = root(other), root(i)
            if a != b:
                parent[max(a, b)] = min(a, b)

    people: dict[int, list[int]] = {}
    for i in range(len(apps.ids)):
        people.setdefault(root(i), []).append(i)
    result: dict[int, tuple[int, bool]] = {}
    kin: dict[int, int] = {}
    for rows in people.values():
        rows.sort(key=lambda i: apps.order[i])
        # A row not judged may have an unreadable time: where it stands among the others,
        # and so which one is the duplicate, is not known.
        unread = [i for i in rows if not apps.judged[i]]
        for i in rows:
            if unread and apps.judged[i]:
                kin[i] = unread[0]
        approved_before: int | None = None
        for position, i in enumerate(rows):
            if position:
                if approved_before is not None:
                    result[i] = (approved_before, True)
                else:
                    result[i] = (rows[0], False)
            if approved_before is None and apps.approved[i]:
                approved_before = i
    return result, kin


def _arrival(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Sort keys for "earlier": Tidstämpel (rows without one last), sheet row, then ID."""
    n = len(frame)
    stamps: list[int | None] = [None] * n
    if "Tidstämpel" in frame:
        times = pd.to_datetime(frame["Tidstämpel"], errors="coerce", utc=True, format="mixed")
        stamps = [None if pd.isna(t) else int(t.value) for t in times]
    rows = _ints(frame[ROW]) if ROW in frame else [None] * n
    ids = _texts(frame, "ID")
    return [
        (s is None, s or 0, r is None, r or 0, ids[i])
        for i, (s, r) in enumerate(zip(stamps, rows, strict=True))
    ]


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame:
        return [""] * len(frame)
    return [cell_text(v) for v in frame[column].to_numpy(dtype=object)]


def _filled(frame: pd.DataFrame, column: str) -> list[bool]:
    if column not in frame:
        return [False] * len(frame)
    return [bool(cell_text(v)) for v in frame[column].to_numpy(dtype=object)]


def _ints(values: pd.Series) -> list[int | None]:
    numbers = pd.to_numeric(values, errors="coerce")
    return [
        int(v) if not pd.isna(v) and float(v).is_integer() else None
        for v in numbers.to_numpy(dtype=object)
    ]


def _years(frame: pd.DataFrame, column: str) -> list[int | None]:
    """A year column as numbers, with anything that is not a plausible year as None."""
    if column not in frame:
        return [None] * len(frame)
    values = frame[column].astype(object).map(lambda v: cell_text(v) if isinstance(v, str) else v)
    return [y if y is not None and MIN_YEAR <= y <= MAX_YEAR else None for y in _ints(values)]


def _email_key(text: str) -> str:
    """An e-mail address as a key: stripped and without case, or "" when it is not one."""
    text = text.strip(BLANK_CHARS)
    return text.casefold() if is_email(text) else ""


def _profile_key(text: str) -> str:
    """A LinkedIn profile URL as a key ("linkedin.com/in/asa-oberg"), or "" if not a profile.

    The scheme, "www.", a country prefix ("se."), the query, the fragment, a trailing slash
    and case are all dropped, so that the ways LinkedIn shares one profile compare equal.
    """
    url = unquote(text.strip(BLANK_CHARS)).casefold()
    url = re.sub(r"^[a-z]+://", "", url)
    url = re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")
    url = url.removeprefix("www.")
    found = _LINKEDIN.fullmatch(url)
    if found is None or not _PROFILE.fullmatch(found.group(1)):
        return ""
    return f"linkedin.com/{found.group(1)}"
