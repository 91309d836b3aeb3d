"""Realistic, self-consistent sample rows for `alumni init --demo`, dated relative to its `now`."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from alumni.contract import Decision, InviteStatus, Role, mandate_start

Value = str | int | float | None
Row = dict[str, Value]

DEFAULT_ZONE = ZoneInfo("Europe/Stockholm")
REPLY_HOURS = 24  # the policy's reply rule, needed to date the old breach consistently

ORDFORANDE = "Åsa Öberg-Lind"
NARINGSLIV = "Märta Ek"
BJORN = "Björn Ångström"
ELIN = "Elin Sjöström"
OSKAR = "Oskar Nyström"
LINNEA = "Linnéa Åkesson"  # joined after the September training: the untrained member
GORAN = "Göran Bäckman"  # left the committee: the inactive member

BRANSCHDAG_GROUP = (NARINGSLIV, BJORN, ELIN, OSKAR)
MENTORSKAP = "Mentorskap"
MENTORSKAP_GROUP = (ORDFORANDE, ELIN, LINNEA)

# (name, company, title, years since graduation, language)
_ALUMNI: tuple[tuple[str, str, str, int, str], ...] = (
    ("Karin Nyström", "LKAB", "Inköpschef", 9, "sv"),
    ("Johan Åkerlund", "SSAB", "Produktionschef", 12, "sv"),
    ("Sofia Bergström", "Volvo", "Supply chain manager", 6, "sv"),
    ("Anders Öhrn", "Vattenfall", "Affärsutvecklare", 8, "sv"),
    ("Emma Sundqvist", "Ericsson", "Projektledare", 4, "sv"),
    ("Henrik Löfgren", "Northvolt", "Controller", 3, "sv"),
    ("Lina Bäckström", "Boliden", "Hållbarhetschef", 10, "sv"),
    ("James Whitfield", "Scania", "Management trainee", 2, "en"),
)

# (name, graduated last year rather than this year, student address, language, invited)
_GRADUATES: tuple[tuple[str, bool, bool, str, bool], ...] = (
    ("Ebba Lundström", False, True, "sv", True),
    ("Oliver Åberg", False, True, "sv", True),
    ("Lukas Schneider", False, True, "en", True),  # exchange student: English templates
    ("Klara Nordén", False, True, "sv", False),
    ("Viktor Strömberg", False, False, "sv", False),
    ("Maja Fält", False, True, "sv", False),
    ("Hugo Dahlgård", False, True, "sv", False),
    ("Agnes Öhman", False, True, "sv", False),
    ("Filip Järvinen", False, False, "sv", False),
    ("Alva Bergkvist", True, True, "sv", False),
    ("Isak Höglund", True, True, "sv", False),
    ("Priya Raman", True, False, "en", False),
)


def demo_rows(now: datetime) -> dict[str, list[dict[str, str | int | float | None]]]:
    """Sample rows per tab (Swedish tab and column names), every time before `now`.

    `now` must be time-zone aware. Times are written in its zone when that is an IANA zone
    (the configured one), else in Europe/Stockholm. The result depends on `now` alone.
    """
    clock = _Clock(now)
    return {
        "Avgångsklass": _graduates(clock),
        "Ansökningar": _applications(clock),
        "Alumner": _alumni(clock),
        "Utskott": _committee(clock),
        "Projektgrupper": _project_groups(clock),
        "Röster": _votes(clock),
        "Kontaktlogg": _contact_log(clock),
        "Överträdelser": _violations(clock),
    }


class _Clock:
    """The demo's `now` and the ways it places times before it.

    Instants are kept in UTC: arithmetic on datetimes that share a zone is wall-clock
    arithmetic, which would be an hour off across a DST change.
    """

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("demo_rows needs a time-zone-aware `now`")
        self.zone = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else DEFAULT_ZONE
        # Whole minutes, so "3 hours ago" is exactly 3 hours once written as HH:MM.
        self.now = now.astimezone(UTC).replace(second=0, microsecond=0)
        self.today = self.now.astimezone(self.zone).date()
        self.year = self.today.year
        self.mandate_start = mandate_start(pd.Timestamp(self.now).tz_convert(self.zone)).date()

    def ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def day_at(self, days_ago: int, clock: str) -> datetime:
        """A local wall-clock time `days_ago` calendar days back (>= 1, so always past).

        Callers keep clear of 02:00-03:00, which the spring DST change skips.
        """
        hour, minute = (int(part) for part in clock.split(":"))
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)

    def until_today(self, day: date) -> str:
        """A date in the current mandate, but never after today (early September)."""
        return min(day, self.today).isoformat()

    def text(self, instant: datetime) -> str:
        return instant.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def date_text(self, instant: datetime) -> str:
        return instant.astimezone(self.zone).date().isoformat()

    @property
    def branschdag(self) -> str:
        # The fair is held in the spring of the mandate, i.e. the year after it starts.
        return f"Branschdag {self.mandate_start.year + 1}"


def _ascii(name: str, sep: str) -> str:
    """The name folded to ASCII for an address or URL slug: "Åsa Öberg-Lind" -> asa.oberg-lind."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return sep.join(plain.split())


def _email(name: str, domain: str = "example.org") -> str:
    return f"{_ascii(name, '.')}@{domain}"


def _linkedin(name: str) -> str:
    # The suffix keeps the sample URLs from pointing at a real person's profile.
    return f"https://www.linkedin.com/in/{_ascii(name, '-')}-exempel"


def _id(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"


def _graduates(clock: _Clock) -> list[Row]:
    rows: list[Row] = []
    for number, (name, last_year, student, language, invited) in enumerate(_GRADUATES, 1):
        domain = "student.example.org" if student else "example.org"
        row: Row = {
            "ID": _id("AK", number),
            "Namn": name,
            "E-post": _email(name, domain),
            "Examensår": clock.year - 1 if last_year else clock.year,
            "Språk": language,
        }
        if invited:
            row["Inbjuden"] = clock.text(clock.day_at(14, f"09:{number:02d}"))
            row["Inbjudningsstatus"] = InviteStatus.SENT
        rows.append(row)
    return rows


def _applications(clock: _Clock) -> list[Row]:
    year = clock.year
    ltu = "Luleå tekniska universitet"
    indek = "Industriell ekonomi"

    def form(
        days_ago: int, at: str, name: str, email: str, program: str, school: str, graduated: int
    ) -> Row:
        return {
            "Tidstämpel": clock.text(clock.day_at(days_ago, at)),
            "Namn": name,
            "E-post": email,
            "LinkedIn": _linkedin(name),
            "Program": program,
            "Lärosäte": school,
            "Examensår": graduated,
        }

    student = "student.example.org"
    rows: list[Row] = [
        # invited graduate, same address as in Avgångsklass, already let into the group
        form(13, "20:14", "Ebba Lundström", _email("Ebba Lundström", student), indek, ltu, year)
        | {
            "Beslut": Decision.APPROVE,
            "Godkänd i LinkedIn": clock.date_text(clock.day_at(11, "12:00")),
        },
        # typos in programme and university, address matches Avgångsklass
        form(
            12,
            "11:02",
            "Oliver Åberg",
            _email("Oliver Åberg", student),
            "Industriel ekonomi",
            "Lulea tekniska universitet",
            year,
        ),
        # private address: matches Avgångsklass only by name and year
        form(10, "22:47", "Maja Fält", _email("Maja Fält"), "Indek", "LTU", year),
        form(9, "07:58", "Isak Höglund", _email("Isak Höglund"), "I", "LTU", year - 1),
        # clearly not eligible: wrong programme, wrong university
        form(
            8,
            "15:31",
            "Noah Sandström",
            _email("Noah Sandström", student),
            "Maskinteknik",
            ltu,
            year,
        ),
        form(6, "18:09", "Wilma Forsberg", _email("Wilma Forsberg"), indek, "KTH", year),
        # the same person applying a second time
        form(5, "09:26", "Oliver Åberg", _email("Oliver Åberg", student), indek, "LTU", year),
        # a join request the chair pasted from LinkedIn: a name and a headline, nothing else
        {"Namn": "Klara Nordén", "Program": "Civilingenjörsstudent i industriell ekonomi | LTU"},
        # the exchange student, in English, address matches Avgångsklass
        form(
            4,
            "16:40",
            "Lukas Schneider",
            _email("Lukas Schneider", student),
            "Industrial Engineering and Management",
            "Luleå University of Technology",
            year,
        ),
        # an older graduate who is not in Avgångsklass: needs a human look
        form(2, "12:55", "Sara Wikström", _email("Sara Wikström"), indek, ltu, year - 6),
    ]
    return [{"ID": _id("AN", number), **row} for number, row in enumerate(rows, 1)]


def _alumni(clock: _Clock) -> list[Row]:
    return [
        {
            "ID": _id("AL", number),
            "Namn": name,
            "E-post": _email(name),
            "Företag": company,
            "Befattning": title,
            "Examensår": clock.year - years_ago,
            "LinkedIn": _linkedin(name),
            "Språk": language,
        }
        for number, (name, company, title, years_ago, language) in enumerate(_ALUMNI, 1)
    ]


def _committee(clock: _Clock) -> list[Row]:
    start = clock.mandate_start
    policy = clock.until_today(start + timedelta(days=3))  # the first meeting of the mandate
    training = clock.until_today(start + timedelta(days=10))
    makeup = clock.until_today(start + timedelta(days=17))  # for one who missed the first
    previous = start.replace(year=start.year - 1)

    def member(name: str, post: str, trained: str | None, signed: str, active: bool = True) -> Row:
        row: Row = {
            "Namn": name,
            "E-post": _email(name),
            "Post": post,
            "Aktiv": "Ja" if active else "Nej",
        }
        if trained is not None:
            row["Utbildad"] = trained
        row["Policy signerad"] = signed
        row["Ort"] = "Luleå"
        return row

    return [
        member(ORDFORANDE, Role.CHAIR, training, policy),
        member(NARINGSLIV, Role.BUSINESS, training, policy),
        member(BJORN, Role.MEMBER, training, policy),
        member(ELIN, Role.MEMBER, makeup, policy),
        member(OSKAR, Role.MEMBER, training, policy),
        member(LINNEA, Role.MEMBER, None, clock.until_today(start + timedelta(days=24))),
        member(
            GORAN,
            Role.MEMBER,
            (previous + timedelta(days=10)).isoformat(),
            (previous + timedelta(days=3)).isoformat(),
            active=False,
        ),
    ]


def _project_groups(clock: _Clock) -> list[Row]:
    return [
        {"Projekt": project, "Medlem": name}
        for project, group in ((clock.branschdag, BRANSCHDAG_GROUP), (MENTORSKAP, MENTORSKAP_GROUP))
        for name in group
    ]


def _votes(clock: _Clock) -> list[Row]:
    # One letter per group member in group order: J yes, N no, - did not vote. Some alumni
    # are named by ID, as the contract allows.
    ballots: tuple[tuple[str, tuple[str, ...], str, int, str], ...] = (
        (clock.branschdag, BRANSCHDAG_GROUP, "Karin Nyström", 16, "JJJJ"),
        (clock.branschdag, BRANSCHDAG_GROUP, "Johan Åkerlund", 16, "JJNJ"),
        (clock.branschdag, BRANSCHDAG_GROUP, "AL-0003", 16, "JJJ-"),
        (clock.branschdag, BRANSCHDAG_GROUP, "Anders Öhrn", 16, "JJJN"),
        (clock.branschdag, BRANSCHDAG_GROUP, "Emma Sundqvist", 16, "NJJJ"),
        (clock.branschdag, BRANSCHDAG_GROUP, "Henrik Löfgren", 16, "JJJN"),
        (clock.branschdag, BRANSCHDAG_GROUP, "AL-0008", 16, "NNJN"),
        (MENTORSKAP, MENTORSKAP_GROUP, "Lina Bäckström", 3, "JJJ"),
        (MENTORSKAP, MENTORSKAP_GROUP, "AL-0008", 3, "JJN"),
        # selected but not yet in Kontaktlogg: the tool's first run adds the row
        (MENTORSKAP, MENTORSKAP_GROUP, "Johan Åkerlund", 3, "JNJ"),
    )
    rows: list[Row] = []
    for index, (project, group, alumnus, days_ago, letters) in enumerate(ballots):
        for seat, (voter, letter) in enumerate(zip(group, letters, strict=True)):
            if letter == "-":
                continue
            # cast during the group's evening meeting, a minute or so apart
            at = clock.day_at(days_ago, f"18:{index * 5 + seat + 2:02d}")
            rows.append(
                {
                    "Tidstämpel": clock.text(at),
                    "Projekt": project,
                    "Alumn": alumnus,
                    "Röstande": voter,
                    "Röst": "Ja" if letter == "J" else "Nej",
                }
            )
    # Oskar changes his mind after the meeting: this later vote replaces his Nej above.
    rows.append(
        {
            "Tidstämpel": clock.text(clock.day_at(15, "08:12")),
            "Projekt": clock.branschdag,
            "Alumn": "Henrik Löfgren",
            "Röstande": OSKAR,
            "Röst": "Ja",
        }
    )
    return rows


def _late_round(clock: _Clock) -> tuple[datetime, datetime, datetime]:
    """Contacted, alumnus replied, we replied for KL-0001, the round answered 6 hours late."""
    replied = clock.day_at(10, "16:45")
    return clock.day_at(12, "09:10"), replied, replied + timedelta(hours=REPLY_HOURS + 6)


def _contact_log(clock: _Clock) -> list[Row]:
    branschdag = clock.branschdag

    def round_(project: str, alumnus: str, person: str, *times: datetime) -> Row:
        row: Row = {"Projekt": project, "Alumn": alumnus, "Kontaktperson": person}
        for column, at in zip(("Kontaktad", "Alumnen svarade", "Vi svarade"), times, strict=False):
            row[column] = clock.text(at)
        return row

    in_time = clock.day_at(8, "13:20")
    rows: list[Row] = [
        # answered late, long ago: the breach in Överträdelser
        round_(branschdag, "Karin Nyström", BJORN, *_late_round(clock)),
        # answered within the day
        round_(
            branschdag,
            "Johan Åkerlund",
            NARINGSLIV,
            clock.day_at(9, "08:30"),
            in_time,
            in_time + timedelta(hours=5),
        ),
        # unanswered for three days, and for 30 hours: both overdue
        round_(branschdag, "Sofia Bergström", ELIN, clock.day_at(5, "10:05"), clock.ago(72)),
        round_(branschdag, "Anders Öhrn", OSKAR, clock.day_at(3, "09:40"), clock.ago(30)),
        # 4 hours left: due soon
        round_(branschdag, "Emma Sundqvist", BJORN, clock.day_at(2, "11:15"), clock.ago(20)),
        # 21 hours left: a reply is needed, no hurry yet
        round_(branschdag, "Henrik Löfgren", NARINGSLIV, clock.day_at(1, "14:30"), clock.ago(3)),
        # e-mailed, the alumna has not answered
        round_(MENTORSKAP, "Lina Bäckström", ORDFORANDE, clock.day_at(1, "10:00")),
        # selected and assigned, not yet e-mailed
        round_(MENTORSKAP, "James Whitfield", ELIN),
    ]
    return [{"ID": _id("KL", number), **row} for number, row in enumerate(rows, 1)]


def _violations(clock: _Clock) -> list[Row]:
    _, replied, answered = _late_round(clock)
    due = replied + timedelta(hours=REPLY_HOURS)
    hours_late = round((answered - due).total_seconds() / 3600, 1)
    return [
        {
            "ID": _id("OV", 1),
            "Kontakt-ID": _id("KL", 1),
            "Datum": clock.text(due + timedelta(minutes=15)),  # the first check after the due
            "Kontaktperson": BJORN,
            "Alumn": "Karin Nyström",
            "Projekt": clock.branschdag,
            "Försening (h)": hours_late,
            "Förklaring": "Svaret kom mitt i tentaveckan och missades. Genomgånget med "
            "näringslivsansvarig; Björn har nu aviseringar på för alumnmejl.",
            "Behandlad": clock.date_text(clock.day_at(5, "12:00")),
        }
    ]
