"""One participant's timeline from the read model's tables: every fact as an entry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.common.db import Connection
from services.views.derive import open_jobs
from services.views.projections import OpenJob, Progress
from services.views.read_model import TimelineEntry, TimelineKind
from services.views.rows import job_facts, nothing_counted, progress_of
from services.views.statements import format_pence as pounds

MAX_ENTRIES_PER_KIND = 2000
"""Bounds the timeline of a pathological participant (each kind of fact)."""


@dataclass(frozen=True)
class TimelineFacts:
    entries: tuple[TimelineEntry, ...]
    open_jobs: tuple[OpenJob, ...]
    progress: Progress


def _day(at: datetime) -> date:
    return at.date()


async def load(
    conn: Connection, provider_id: str, participant_id: str, referral_id: str
) -> TimelineFacts:
    key = (provider_id, participant_id)
    participant = await conn.fetchrow(
        "SELECT * FROM participants WHERE provider_id = $1 AND participant_id = $2", *key
    )
    assert participant is not None
    jobs = await conn.fetch(
        "SELECT * FROM placements WHERE provider_id = $1 AND participant_id = $2"
        " ORDER BY job_start_date, placement_id LIMIT $3",
        *key,
        MAX_ENTRIES_PER_KIND,
    )
    evidence = await conn.fetch(
        "SELECT * FROM evidence WHERE provider_id = $1 AND participant_id = $2"
        " ORDER BY period_end, evidence_id, version LIMIT $3",
        *key,
        MAX_ENTRIES_PER_KIND,
    )
    milestones = await conn.fetch(
        "SELECT * FROM milestones WHERE provider_id = $1 AND participant_id = $2"
        " ORDER BY reached_on, milestone, occurrence LIMIT $3",
        *key,
        MAX_ENTRIES_PER_KIND,
    )
    payments = await conn.fetch(
        "SELECT * FROM payments WHERE provider_id = $1 AND participant_id = $2"
        " ORDER BY issued_at, payment_id LIMIT $3",
        *key,
        MAX_ENTRIES_PER_KIND,
    )
    rejections = await conn.fetch(
        """
        SELECT r.* FROM rejections r
        WHERE r.provider_id = $1 AND (
            r.referral_id = $3
            OR r.placement_id IN (SELECT placement_id FROM placements
                                  WHERE provider_id = $1 AND participant_id = $2)
            OR r.evidence_id IN (SELECT evidence_id FROM evidence
                                 WHERE provider_id = $1 AND participant_id = $2))
        ORDER BY r.rejected_at, r.event_id LIMIT $4
        """,
        *key,
        referral_id,
        MAX_ENTRIES_PER_KIND,
    )
    progress = await conn.fetchrow(
        "SELECT * FROM progress WHERE provider_id = $1 AND participant_id = $2", *key
    )
    entries = [
        *_participant_entries(participant),
        *_job_entries(jobs),
        *_evidence_entries(evidence),
        *_milestone_entries(milestones),
        *_payment_entries(payments),
        *_rejection_entries(rejections),
    ]
    entries.sort(key=lambda e: (e.on, e.at, e.kind.value, e.ref or ""))
    current = open_jobs(
        [job_facts(j) for j in jobs],
        {j["placement_id"]: j["latest_evidence_end"] for j in jobs if j["latest_evidence_end"]},
    )
    counted = progress_of(progress) if progress is not None else nothing_counted(participant)
    return TimelineFacts(tuple(entries), current, counted)


def _participant_entries(p: Any) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            on=p["start_date"],
            at=p["started_at"],
            kind=TimelineKind.STARTED,
            title="Started the programme",
            details=(
                ("Referral", p["referral_id"]),
                ("Contract", p["contract_id"]),
                ("Borough", p["borough"]),
                ("Group", p["eligibility_group"]),
                ("Age band", p["age_band"]),
                ("Referral source", p["referral_source"]),
            ),
            ref=p["referral_id"],
        )
    ]
    if p["left_on"] is not None:
        entries.append(
            TimelineEntry(
                on=p["left_on"],
                at=p["left_at"],
                kind=TimelineKind.LEFT,
                title="Left the programme",
                details=(("Reason", p["leaver_reason"] or ""),),
            )
        )
    return entries


def _job_details(j: Any) -> tuple[tuple[str, str], ...]:
    details = [("Employment", j["employment_type"]), ("Weekly hours", str(j["weekly_hours"]))]
    if j["hourly_wage_pence"] is not None:
        details.append(("Hourly wage", pounds(j["hourly_wage_pence"])))
    details += [
        ("London Living Wage", "yes" if j["pays_llw"] else "no"),
        ("Below minimum wage", "yes" if j["below_minimum_wage"] else "no"),
    ]
    if j["employer_name"]:
        details.append(("Employer", j["employer_name"]))
    if j["sic_sector"]:
        details.append(("Sector", j["sic_sector"]))
    return tuple(details)


Details = tuple[tuple[str, str], ...]


def _happened(
    at: datetime | None,
    kind: TimelineKind,
    title: str,
    details: Details = (),
    *,
    about: str,
) -> list[TimelineEntry]:
    """The entry of something recorded ``at`` (on that day) about the entry ``about``;
    nothing when it has not happened (``at`` is NULL)."""
    if at is None:
        return []
    return [TimelineEntry(_day(at), at, kind, title, details, links=(about,))]


def _job_entries(jobs: Iterable[Any]) -> list[TimelineEntry]:
    entries = []
    for j in jobs:
        ref = j["placement_id"]
        started = TimelineEntry(
            j["job_start_date"],
            j["confirmed_at"],
            TimelineKind.JOB_STARTED,
            "Job started",
            _job_details(j),
            ref,
        )
        entries.append(started)
        if j["ended_on"] is not None:
            ended = (("Placement", ref),)
            entries.append(
                TimelineEntry(
                    j["ended_on"],
                    j["ended_at"],
                    TimelineKind.JOB_ENDED,
                    "Job ended",
                    ended,
                    links=(ref,),
                )
            )
        withdrawn = (
            ("Placement", ref),
            ("Leaver date", str(j["withdrawn_on"])),
            ("Reason", j["withdrawn_reason"] or ""),
        )
        entries += _happened(
            j["withdrawn_at"],
            TimelineKind.JOB_WITHDRAWN,
            "Job withdrawn: it starts after the leaver date",
            withdrawn,
            about=ref,
        )
    return entries


def _evidence_entries(evidence: Iterable[Any]) -> list[TimelineEntry]:
    entries = []
    for e in evidence:
        ref = f"{e['evidence_id']}:v{e['version']}"
        details = (
            ("Period", f"{e['period_start']} to {e['period_end']}"),
            ("Earnings", pounds(e["gross_earnings_pence"])),
            ("Hours", str(e["hours"])),
            ("Reported on", str(e["reported_on"])),
        )
        title = f"Evidence {e['evidence_id']} version {e['version']} ({e['kind']})"
        entries.append(
            TimelineEntry(
                e["period_end"],
                e["recorded_at"],
                TimelineKind.EVIDENCE,
                title,
                details,
                ref,
                links=(e["placement_id"],),
            )
        )
        entries += _happened(
            e["retracted_at"],
            TimelineKind.EVIDENCE_RETRACTED,
            f"Evidence {e['evidence_id']} retracted",
            about=ref,
        )
    return entries


def _milestone_entries(milestones: Iterable[Any]) -> list[TimelineEntry]:
    entries = []
    for m in milestones:
        ref, milestone = f"{m['milestone']}#{m['occurrence']}", m["milestone"]
        if m["reached_at"] is not None:
            details = [("Reached on", str(m["reached_on"]))]
            if m["payable"] is False:
                details.append(("Not payable", m["not_payable_reason"] or ""))
            entries.append(
                TimelineEntry(
                    m["reached_on"],
                    m["reached_at"],
                    TimelineKind.MILESTONE_REACHED,
                    f"Milestone reached: {milestone}",
                    tuple(details),
                    ref,
                    links=tuple(m["evidence_ids"]),
                )
            )
        entries += _happened(
            m["revoked_at"],
            TimelineKind.MILESTONE_REVOKED,
            f"Milestone revoked: {milestone}",
            about=ref,
        )
        entries += _happened(
            m["not_paid_at"],
            TimelineKind.MILESTONE_NOT_PAID,
            f"Not paid: {milestone}",
            (("Reason", m["not_paid_reason"] or ""),),
            about=ref,
        )
    return entries


def _payment_entries(payments: Iterable[Any]) -> list[TimelineEntry]:
    rows = list(payments)
    reversed_by = {p["reverses"]: p["payment_id"] for p in rows if p["reverses"] is not None}
    entries = []
    for p in rows:
        reversal = p["reverses"] is not None
        links = (p["reverses"],) if reversal else ()
        if p["payment_id"] in reversed_by:
            links = (*links, reversed_by[p["payment_id"]])
        entries.append(
            TimelineEntry(
                on=_day(p["issued_at"]),
                at=p["issued_at"],
                kind=TimelineKind.REVERSAL if reversal else TimelineKind.PAYMENT,
                title=f"{'Reversal' if reversal else 'Payment'} for {p['milestone']}:"
                f" {pounds(p['amount_pence'])}",
                details=(
                    ("Payment", p["payment_id"]),
                    ("Base", pounds(p["base_pence"])),
                    ("Uplift", pounds(p["uplift_pence"])),
                    ("Reached on", str(p["reached_on"])),
                ),
                ref=p["payment_id"],
                links=links,
            )
        )
    return entries


def _rejection_entries(rejections: Iterable[Any]) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            on=_day(r["rejected_at"]),
            at=r["rejected_at"],
            kind=TimelineKind.REJECTED,
            title=f"Not accepted: {r['reason']}",
            details=(
                ("Message", r["message"]),
                ("Original (masked, first bytes)", r["original_prefix_b64"]),
            ),
            ref=str(r["event_id"]),
        )
        for r in rejections
    ]
