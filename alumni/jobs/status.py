"""The `status` job: the committee's key figures on one screen and in the Översikt tab."""

from __future__ import annotations

from typing import Any

import pandas as pd

from alumni.config import Config
from alumni.rules.compliance import Gap, check_compliance, mandate_start
from alumni.rules.deadlines import flag_overdue
from alumni.sheet.workbook import Value, Workbook
from alumni.timeparse import format_time, parse_time

OPEN = ("Svar krävs", "Snart försenad", "Försenad")


def _decision(apps: pd.DataFrame) -> pd.Series:
    """The chair's Beslut where given, else the tool's Bedömning."""
    beslut = apps["Beslut"].astype(str).str.strip().str.capitalize()
    return beslut.where(beslut.isin(["Godkänn", "Avslå"]), apps["Bedömning"])


def compliance_gaps(wb: Workbook, config: Config, now: pd.Timestamp) -> list[Gap]:
    """§3.1, §3.2, §5 and §6 gaps, from the sheet and the configured policy revision date."""
    revised = parse_time(config.policy.last_revised, config.timezone)
    return check_compliance(
        wb["Utskott"],
        wb["Projektgrupper"],
        wb["Kontaktlogg"],
        wb["Avgångsklass"],
        now,
        mandate_month_day=config.mandate_start,
        policy_last_revised=revised,
        invite_by=config.policy.invite_by,
    )


def status_figures(wb: Workbook, config: Config, now: pd.Timestamp) -> dict[str, Value]:
    """The key figures by their Swedish names, as the Översikt tab shows them."""
    tz = config.timezone
    figures: dict[str, Value] = {}
    apps = wb["Ansökningar"]
    this_year = apps[apps["Tidstämpel"].dt.year == now.year] if len(apps) else apps
    decided = _decision(this_year) if len(this_year) else pd.Series(dtype=object)
    figures["Ansökningar i år"] = len(this_year)
    figures["Ansökningar i år, godkända"] = int((decided == "Godkänn").sum())
    figures["Ansökningar i år, avslagna"] = int((decided == "Avslå").sum())
    figures["Ansökningar i år, att granska"] = int((decided == "Granska").sum())
    grads = wb["Avgångsklass"]
    status = grads.loc[grads["Examensår"] == now.year, "Inbjudningsstatus"].astype(str)
    figures[f"Inbjudningar {now.year}, skickade"] = int((status == "skickad").sum())
    figures[f"Inbjudningar {now.year}, misslyckade"] = int(
        status.str.startswith("misslyckad").sum()
    )
    figures[f"Inbjudningar {now.year}, osäkra"] = int((status == "osäker").sum())
    log = wb["Kontaktlogg"]
    figures["Utvalda alumner (rader i Kontaktlogg)"] = len(log)
    flags = flag_overdue(log, now, config.deadlines.reply_hours, config.deadlines.warn_hours)
    open_rows = flags[flags["Status"].isin(OPEN)]
    figures["Öppna svar"] = len(open_rows)
    nearest = open_rows["Svara senast"].min() if len(open_rows) else pd.NaT
    figures["Närmaste svarstid"] = format_time(nearest, tz) if not pd.isna(nearest) else ""
    start = mandate_start(now, config.mandate_start)
    breaches = wb["Överträdelser"]
    this_mandate = breaches[breaches["Datum"] >= start]
    figures["Överträdelser detta mandat"] = len(this_mandate)
    figures["Överträdelser detta mandat, förklarade"] = int(
        (this_mandate["Förklaring"] != "").sum()
    )
    figures["Överträdelser detta mandat, ej förklarade"] = int(
        (this_mandate["Förklaring"] == "").sum()
    )
    answered = log[(log["Alumnen svarade"] >= start) & log["Vi svarade"].notna()]
    hours = (answered["Vi svarade"] - answered["Alumnen svarade"]).dt.total_seconds() / 3600
    hours = hours[hours >= 0]
    figures["Svarstid median (h)"] = round(float(hours.median()), 1) if len(hours) else ""
    figures["Svarstid 90:e percentil (h)"] = (
        round(float(hours.quantile(0.9)), 1) if len(hours) else ""
    )
    figures["Brister mot policyn"] = len(compliance_gaps(wb, config, now))
    return figures


def last_run(wb: Workbook) -> Any:
    """The last successful daily run, as the Översikt tab says."""
    from alumni.jobs.daily import LAST_DAILY_RUN

    overview = wb["Översikt"]
    values = overview.loc[overview["Nyckeltal"] == LAST_DAILY_RUN, "Värde"].tolist()
    return values[0] if values else ""
