"""Where the committee falls short of the policy (§3.1, §3.2, §5, §6) at a given moment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np
import pandas as pd

from alumni.contract import (
    COMMITTEE,
    CONTACT_LOG,
    GRADUATES,
    PROJECT_GROUPS,
    InviteStatus,
    active_mask,
    fold,
    fold_all,
    mandate_start,
    midnight,
    parse_month_day,
)
from alumni.timeparse import SWEDISH_MONTHS

TRAINING = "§3.2 utbildning"
SIGNATURE = "§6 signatur"
REVISION = "§5 revision"
INVITATION = "§3.1 inbjudan"

MONTHS = SWEDISH_MONTHS

TRAINING_RULE = "the training rule (§3.2)"
SIGNATURE_RULE = "the signature rule (§6)"
INVITATION_RULE = "the invitation deadline (§3.1)"
NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    # Who is an active member, whether they are trained, and whether they work with alumni:
    # in a project group, or the contact person of a round still waiting for our answer.
    TRAINING_RULE: {
        COMMITTEE.name: ("Namn", "Aktiv", "Utbildad"),
        PROJECT_GROUPS.name: ("Medlem",),
        CONTACT_LOG.name: ("Kontaktperson", "Vi svarade"),
    },
    SIGNATURE_RULE: {COMMITTEE.name: ("Namn", "Aktiv", "Policy signerad", "Ort")},
    # Who graduates this year and whether the invitation went out to them.
    INVITATION_RULE: {GRADUATES.name: ("Examensår", "Inbjuden", "Inbjudningsstatus")},
}
"""For each of the compliance rules that read the sheet (§5 reads only the configuration),
the columns each tab must have, readable, for the rule to judge a row."""

Mask = Sequence[bool] | np.ndarray
Judged = Mapping[str, Mapping[str, Mask] | None]
"""By rule (a key of NEEDS): the rows it may judge, by tab, or None when it judges nothing."""

# Swedish alphabetical order puts å, ä, ö after z, in that order; code points would not, so
# they become the three characters that follow z.
_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}"})


@dataclass(frozen=True)
class Gap:
    """One way the committee falls short of the policy, for the chair's summary."""

    rule: str  # TRAINING, SIGNATURE, REVISION or INVITATION
    who: str  # a member's name as written in Utskott, or "" for committee-wide gaps
    message: str  # one Swedish sentence


def check_compliance(
    committee: pd.DataFrame,
    groups: pd.DataFrame,
    log: pd.DataFrame,
    graduates: pd.DataFrame,
    now: pd.Timestamp,
    *,
    mandate_month_day: str = "09-01",
    policy_last_revised: pd.Timestamp | None = None,
    invite_by: str = "05-01",
    judged: Judged | None = None,
) -> list[Gap]:
    """Every gap between the sheet and the policy at `now`, sorted by rule, then by name.

    Frames are the tabs Utskott, Projektgrupper, Kontaktlogg and Avgångsklass as the sheet
    reader gives them. An active member is one whose `Aktiv` is yes or empty. Names are matched
    with `fold`. Dates are compared as calendar days in `now`'s zone, which must be aware.

    - §3.2: an active member in a project group, or the contact person of a round without
      `Vi svarade`, must have `Utbildad` on or after the mandate's start; reported only from
      one month into the mandate, since the training is held in its first month.
    - §6: every active member has `Policy signerad` (on or after `policy_last_revised`, when
      given) and an `Ort`.
    - §5: `policy_last_revised` is missing, or older than the mandate's start or 12 months.
    - §3.1: from `invite_by` (MM-DD) of `now`'s year, the graduates of that year exist and
      none is invited (`Inbjudningsstatus` `skickad`, or no status but a time in `Inbjuden`).

    `judged` says, by rule (TRAINING_RULE, SIGNATURE_RULE, INVITATION_RULE), which rows of
    each tab it may judge (every row where not given), or None when it may judge none. A gap
    is never reported on a guess: a member whose row could not be read gets none, a round
    whose Vi svarade could not be read makes nobody "working with alumni", and §3.1 is not
    reported while a graduate who may be of the year could not be read.

    Raises ValueError for a naive `now` or a bad MM-DD.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must carry a time zone, got the naive {now}")
    judged = {} if judged is None else judged
    start = mandate_start(now, mandate_month_day)
    revised = None if policy_last_revised is None else _day(policy_last_revised, now.tzinfo)
    frames = {
        COMMITTEE.name: committee,
        PROJECT_GROUPS.name: groups,
        CONTACT_LOG.name: log,
        GRADUATES.name: graduates,
    }

    def masks(rule: str) -> dict[str, np.ndarray] | None:
        given = judged.get(rule, {})
        if given is None:
            return None
        return {
            tab: np.asarray(given[tab], dtype=bool)
            if tab in given
            else np.ones(len(frames[tab]), dtype=bool)
            for tab in NEEDS[rule]
        }

    training, signature, invitation = (
        masks(TRAINING_RULE),
        masks(SIGNATURE_RULE),
        masks(INVITATION_RULE),
    )
    gaps = {
        *(_training(committee, groups, log, now, start, training) if training else []),
        *(_signatures(committee, now, revised, signature) if signature else []),
        *_revision(now, start, revised),
        *(_invitation(graduates, now, invite_by, invitation) if invitation else []),
    }
    return sorted(gaps, key=lambda g: (g.rule, _name_key(g.who), g.who, g.message))


def _name_key(name: str) -> str:
    return fold(name).translate(_SWEDISH_ORDER)


def _day(at: pd.Timestamp, zone: tzinfo) -> pd.Timestamp:
    """Midnight of `at`'s calendar day in `zone`; a naive `at` is a local time there."""
    at = pd.Timestamp(at)
    local = at.tz_localize(zone) if at.tzinfo is None else at.tz_convert(zone)
    return midnight(local.year, local.month, local.day, zone)


def _days(values: pd.Series, zone: tzinfo) -> list[pd.Timestamp | None]:
    """Each cell as `_day`, or None for an empty one."""
    return [None if pd.isna(v) else _day(pd.Timestamp(v), zone) for v in values]


def _active_members(committee: pd.DataFrame, judged: np.ndarray) -> pd.DataFrame:
    """Active members (`is_active`: a blank `Aktiv` is active) with a name, of the rows that
    could be read."""
    named = (fold_all(committee["Namn"]) != "").to_numpy(dtype=bool)
    return committee[active_mask(committee["Aktiv"]) & named & judged]


def _folded(values: pd.Series) -> set[str]:
    return set(fold_all(values)) - {""}


def _training(
    committee: pd.DataFrame,
    groups: pd.DataFrame,
    log: pd.DataFrame,
    now: pd.Timestamp,
    start: pd.Timestamp,
    judged: dict[str, np.ndarray],
) -> list[Gap]:
    # The September training may still be ahead during the mandate's first month.
    if now < start + pd.DateOffset(months=1):
        return []
    assert now.tzinfo is not None
    # A round whose Vi svarade cannot be read may be answered: its contact person is not
    # "working with alumni" on its account (the round is named as not judged instead).
    open_rounds = log[log["Vi svarade"].isna().to_numpy(dtype=bool) & judged[CONTACT_LOG.name]]
    members_groups = groups[judged[PROJECT_GROUPS.name]]
    working = _folded(members_groups["Medlem"]) | _folded(open_rounds["Kontaktperson"])
    members = _active_members(committee, judged[COMMITTEE.name])
    training = f"{MONTHS[start.month - 1]}utbildningen"
    return [
        Gap(
            TRAINING,
            name,
            f"{name} har inte gått {training} (mandatet från {start:%Y-%m-%d}).",
        )
        for name, trained in zip(
            members["Namn"], _days(members["Utbildad"], now.tzinfo), strict=True
        )
        if fold(name) in working and (trained is None or trained < start)
    ]


def _signatures(
    committee: pd.DataFrame,
    now: pd.Timestamp,
    revised: pd.Timestamp | None,
    judged: dict[str, np.ndarray],
) -> list[Gap]:
    assert now.tzinfo is not None
    members = _active_members(committee, judged[COMMITTEE.name])
    gaps: list[Gap] = []
    for name, signed, place in zip(
        members["Namn"],
        _days(members["Policy signerad"], now.tzinfo),
        members["Ort"],
        strict=True,
    ):
        # One gap per member, the one that asks the most of them: re-signing also gives a place.
        if signed is None:
            message = f"{name} har inte signerat policyn."
        elif revised is not None and signed < revised:
            message = (
                f"{name} signerade policyn {signed:%Y-%m-%d}, före senaste revisionen "
                f"{revised:%Y-%m-%d}, och behöver signera den igen."
            )
        elif not (isinstance(place, str) and place.strip()):
            message = f"{name} har signerat policyn utan att ange ort."
        else:
            continue
        gaps.append(Gap(SIGNATURE, name, message))
    return gaps


def _revision(now: pd.Timestamp, start: pd.Timestamp, revised: pd.Timestamp | None) -> list[Gap]:
    if revised is None:
        return [
            Gap(
                REVISION,
                "",
                "Datum för senaste revision saknas i konfigurationen (policy.last_revised).",
            )
        ]
    assert now.tzinfo is not None
    # The mandate started within the last 12 months, so its start is the stricter bound
    # whenever the mandate has begun; the 12 months stay as the policy's own words.
    year_ago = _day(now, now.tzinfo) - pd.DateOffset(months=12)
    if revised < start or revised < year_ago:
        return [
            Gap(
                REVISION,
                "",
                f"Policyn behöver revideras vid överlämningen "
                f"(senast reviderad {revised:%Y-%m-%d}).",
            )
        ]
    return []


def _invitation(
    graduates: pd.DataFrame, now: pd.Timestamp, invite_by: str, judged: dict[str, np.ndarray]
) -> list[Gap]:
    month, day = parse_month_day(invite_by)
    if now < midnight(now.year, month, day, now.tzinfo):
        return []
    read = judged[GRADUATES.name]
    years = pd.to_numeric(graduates["Examensår"], errors="coerce").astype("Int64")
    of_year = (years == now.year).fillna(False).to_numpy(dtype=bool)
    # A row that could not be read may be a graduate of the year who was invited.
    if (~read & (of_year | years.isna().to_numpy(dtype=bool))).any():
        return []
    this_year = graduates[of_year & read]
    if this_year.empty:
        return []
    # The status says whether it went out (a failed send also gets a time); a time in
    # `Inbjuden` without any status was recorded by hand, and counts, as the purge reads it.
    status = fold_all(this_year["Inbjudningsstatus"])
    invited = this_year["Inbjuden"].notna() if "Inbjuden" in this_year else False
    if ((status == fold(InviteStatus.SENT)) | ((status == "") & invited)).any():
        return []
    return [
        Gap(
            INVITATION,
            "",
            f"Årets inbjudan till avgångsklassen har inte skickats "
            f"(senast {day} {MONTHS[month - 1]}).",
        )
    ]
