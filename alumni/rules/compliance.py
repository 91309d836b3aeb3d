"""Where the committee falls short of the policy (§3.1, §3.2, §5, §6) at a given moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

import pandas as pd

from alumni.contract import (
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
      none has `Inbjudningsstatus` `skickad`.

    Raises ValueError for a naive `now` or a bad MM-DD.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must carry a time zone, got the naive {now}")
    start = mandate_start(now, mandate_month_day)
    revised = None if policy_last_revised is None else _day(policy_last_revised, now.tzinfo)
    gaps = {
        *_training(committee, groups, log, now, start),
        *_signatures(committee, now, revised),
        *_revision(now, start, revised),
        *_invitation(graduates, now, invite_by),
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


def _active_members(committee: pd.DataFrame) -> pd.DataFrame:
    """Active members (`is_active`: a blank `Aktiv` is active) with a name."""
    named = (fold_all(committee["Namn"]) != "").to_numpy(dtype=bool)
    return committee[active_mask(committee["Aktiv"]) & named]


def _folded(values: pd.Series) -> set[str]:
    return set(fold_all(values)) - {""}


def _training(
    committee: pd.DataFrame,
    groups: pd.DataFrame,
    log: pd.DataFrame,
    now: pd.Timestamp,
    start: pd.Timestamp,
) -> list[Gap]:
    # The September training may still be ahead during the mandate's first month.
    if now < start + pd.DateOffset(months=1):
        return []
    assert now.tzinfo is not None
    open_rounds = log[log["Vi svarade"].isna()]
    working = _folded(groups["Medlem"]) | _folded(open_rounds["Kontaktperson"])
    members = _active_members(committee)
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
    committee: pd.DataFrame, now: pd.Timestamp, revised: pd.Timestamp | None
) -> list[Gap]:
    assert now.tzinfo is not None
    members = _active_members(committee)
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


def _invitation(graduates: pd.DataFrame, now: pd.Timestamp, invite_by: str) -> list[Gap]:
    month, day = parse_month_day(invite_by)
    if now < midnight(now.year, month, day, now.tzinfo):
        return []
    years = pd.to_numeric(graduates["Examensår"], errors="coerce").astype("Int64")
    this_year = graduates[(years == now.year).fillna(False).to_numpy(dtype=bool)]
    if this_year.empty:
        return []
    # The status, not `Inbjuden`, says whether it went out: a failed send also gets a time.
    if (fold_all(this_year["Inbjudningsstatus"]) == fold(InviteStatus.SENT)).any():
        return []
    return [
        Gap(
            INVITATION,
            "",
            f"Årets inbjudan till avgångsklassen har inte skickats "
            f"(senast {day} {MONTHS[month - 1]}).",
        )
    ]
