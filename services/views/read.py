"""The read API of the read model: typed async queries scoped by the viewer.

Every provider query takes the viewer's ``provider_id`` and returns only that
provider's participants; a participant of another provider (or an id that does not
exist) is ``None`` -- the caller answers 404 either way. ``today`` is an argument.
Connections are asyncpg connections with ``search_path`` set to the ``views`` schema
(``services.views.create_read_pool``). The commissioners' and finance's reads live in
read_commissioner.py and read_finance.py and are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from schemas.common import MilestoneKind
from services.common.db import Connection
from services.views import timeline as timeline_entries
from services.views.advice import what_to_do
from services.views.projections import (
    Projection,
    Window,
    evidence_due,
    outlook,
    projections,
)
from services.views.read_commissioner import funnel_rows, minimum_wage_rows
from services.views.read_finance import payment_lines, referral_ids, statements
from services.views.read_model import (
    MAX_EXPORT_ROWS,
    MAX_SEARCH,
    Attention,
    CaseloadFilters,
    CaseloadPage,
    CaseloadRow,
    CaseloadSort,
    CurrentJob,
    NextMilestone,
    PageRequest,
    Stage,
    Timeline,
)

ATTENTION_PER_PARTICIPANT = 5

_ORDER = {
    CaseloadSort.REFERRAL_ID: "p.referral_id",
    CaseloadSort.START_DATE: "p.start_date, p.referral_id",
    CaseloadSort.NEXT_PROJECTED_ON: "p.next_projected_on NULLS LAST, p.referral_id",
    CaseloadSort.EVIDENCE_DUE_SINCE: "p.evidence_due_since NULLS LAST, p.referral_id",
    CaseloadSort.WINDOW_LAST_DAY: "LEAST(p.window_last_day, p.left_on), p.referral_id",
}

_CURRENT_JOB = """
    LEFT JOIN LATERAL (
        SELECT j.placement_id, j.employer_name, j.sic_sector, j.employment_type,
               j.job_start_date, j.hourly_wage_pence, j.weekly_hours, j.pays_llw,
               j.below_minimum_wage
        FROM placements j
        WHERE j.provider_id = p.provider_id AND j.participant_id = p.participant_id
          AND j.ended_on IS NULL AND j.withdrawn_on IS NULL
        ORDER BY j.job_start_date, j.placement_id
        LIMIT 1
    ) job ON true
"""

_CURRENT_JOBS = """
    LEFT JOIN (
        SELECT DISTINCT ON (j.participant_id) j.participant_id AS job_participant_id,
               j.placement_id, j.employer_name, j.sic_sector, j.employment_type,
               j.job_start_date, j.hourly_wage_pence, j.weekly_hours, j.pays_llw,
               j.below_minimum_wage
        FROM placements j
        WHERE j.provider_id = $1 AND j.ended_on IS NULL AND j.withdrawn_on IS NULL
        ORDER BY j.participant_id, j.job_start_date, j.placement_id
    ) job ON job.job_participant_id = p.participant_id
"""
"""The same current job for a whole caseload at once (the export): one pass, hashed."""

_ATTENTION_EXISTS = """
    EXISTS (
        SELECT 1 FROM rejections r
        WHERE r.provider_id = p.provider_id AND (
            r.referral_id = p.referral_id
            OR r.placement_id IN (SELECT placement_id FROM placements x
                                  WHERE x.provider_id = p.provider_id
                                    AND x.participant_id = p.participant_id)
            OR r.evidence_id IN (SELECT evidence_id FROM evidence e
                                 WHERE e.provider_id = p.provider_id
                                   AND e.participant_id = p.participant_id)))
"""


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _where(provider_id: str, filters: CaseloadFilters, today: date) -> tuple[str, list[Any]]:
    """The WHERE clause of a caseload query and its arguments ($1 is the provider)."""
    args: list[Any] = [provider_id]
    clauses = ["p.provider_id = $1"]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if filters.stage is Stage.IN_WORK:
        clauses.append("p.in_work")
    elif filters.stage is Stage.STARTED:
        clauses.append("NOT p.in_work")
    if filters.milestone is not None:
        clauses.append(f"{arg(filters.milestone.value)} = ANY(p.milestones_reached)")
    if filters.left is True:
        clauses.append("p.left_on IS NOT NULL")
    elif filters.left is False:
        clauses.append("p.left_on IS NULL")
    if filters.evidence_due:
        t = arg(today)
        clauses.append(
            f"p.left_on IS NULL AND p.start_date <= {t} AND {t} <= p.window_last_day"
            f" AND p.evidence_due_since < {t}"
        )
    if filters.attention:
        clauses.append(_ATTENTION_EXISTS)
    if filters.search:
        text = filters.search.strip()[:MAX_SEARCH]
        clauses.append(
            f"(p.referral_id LIKE {arg(_like_prefix(text))} OR p.participant_id = {arg(text)})"
        )
    return " AND ".join(clauses), args


async def caseload(
    conn: Connection,
    provider_id: str,
    filters: CaseloadFilters,
    sort: CaseloadSort,
    page: PageRequest,
    today: date,
) -> CaseloadPage:
    """One page of a provider's caseload (§11), with the total matching the filters."""
    page = page.bounded()
    where, args = _where(provider_id, filters, today)
    total = await conn.fetchval(f"SELECT count(*) FROM participants p WHERE {where}", *args)
    rows = await _caseload_rows(conn, where, args, sort, page.size, page.offset, today)
    return CaseloadPage(rows=rows, total=int(total or 0), page=page, today=today)


async def caseload_export(
    conn: Connection,
    provider_id: str,
    filters: CaseloadFilters,
    sort: CaseloadSort,
    today: date,
) -> tuple[CaseloadRow, ...]:
    """Every row matching the filters (bounded by MAX_EXPORT_ROWS), for the CSV export."""
    where, args = _where(provider_id, filters, today)
    return await _caseload_rows(
        conn, where, args, sort, MAX_EXPORT_ROWS, 0, today, job_join=_CURRENT_JOBS
    )


async def _caseload_rows(
    conn: Connection,
    where: str,
    args: list[Any],
    sort: CaseloadSort,
    limit: int,
    offset: int,
    today: date,
    job_join: str = _CURRENT_JOB,
) -> tuple[CaseloadRow, ...]:
    """Rows of the caseload query; a page joins each row's current job by index, an
    export all of them at once (``_CURRENT_JOBS``)."""
    n = len(args)
    records = await conn.fetch(
        f"SELECT p.*, job.* FROM participants p {job_join}"
        f" WHERE {where} ORDER BY {_ORDER[sort]} LIMIT ${n + 1} OFFSET ${n + 2}",
        *args,
        limit,
        offset,
    )
    if not records:
        return ()
    provider_id = records[0]["provider_id"]
    attention = await _attention(conn, provider_id, [r["participant_id"] for r in records])
    return tuple(_row(r, today, attention.get(r["participant_id"], ())) for r in records)


async def _attention(
    conn: Connection, provider_id: str, participant_ids: Sequence[str]
) -> dict[str, tuple[Attention, ...]]:
    """The latest rejections of each participant's events (referral, jobs, evidence)."""
    records = await conn.fetch(
        """
        WITH mine AS (
            SELECT participant_id, referral_id FROM participants
            WHERE provider_id = $1 AND participant_id = ANY($2::text[])
        ), matched AS (
            SELECT m.participant_id, r.* FROM mine m
            JOIN rejections r ON r.provider_id = $1 AND r.referral_id = m.referral_id
            UNION
            SELECT x.participant_id, r.* FROM placements x
            JOIN rejections r ON r.provider_id = $1 AND r.placement_id = x.placement_id
            WHERE x.provider_id = $1 AND x.participant_id = ANY($2::text[])
            UNION
            SELECT e.participant_id, r.* FROM evidence e
            JOIN rejections r ON r.provider_id = $1 AND r.evidence_id = e.evidence_id
            WHERE e.provider_id = $1 AND e.participant_id = ANY($2::text[])
        ), ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY participant_id ORDER BY rejected_at DESC, event_id) AS n
            FROM matched
        )
        SELECT * FROM ranked WHERE n <= $3 ORDER BY participant_id, rejected_at DESC, event_id
        """,
        provider_id,
        list(participant_ids),
        ATTENTION_PER_PARTICIPANT,
    )
    found: dict[str, list[Attention]] = {}
    for r in records:
        found.setdefault(r["participant_id"], []).append(attention_of(r))
    return {k: tuple(v) for k, v in found.items()}


def attention_of(r: Any) -> Attention:
    return Attention(
        rejected_at=r["rejected_at"],
        reason=r["reason"],
        message=r["message"],
        what_to_do=what_to_do(r["reason"]),
        event_type=r["event_type"],
        source_event_id=r["source_event_id"],
        rejection_event_id=str(r["event_id"]),
    )


def _window(r: Any) -> Window:
    return Window(r["start_date"], r["left_on"])


def _current_job(r: Any) -> CurrentJob | None:
    if r["placement_id"] is None:
        return None
    return CurrentJob(
        placement_id=r["placement_id"],
        employer_name=r["employer_name"],
        sic_sector=r["sic_sector"],
        employment_type=r["employment_type"],
        job_start_date=r["job_start_date"],
        hourly_wage_pence=r["hourly_wage_pence"],
        weekly_hours=r["weekly_hours"],
        pays_llw=r["pays_llw"],
        below_minimum_wage=r["below_minimum_wage"],
    )


def _shown(projection: Projection, window: Window, today: date) -> NextMilestone | None:
    """A projection as shown today: none once left or outside the window (§11)."""
    if window.left_on is not None or not window.contains(today):
        return None
    return NextMilestone(projection.milestone, projection.projected_on, outlook(projection, today))


def _row(r: Any, today: date, attention: tuple[Attention, ...]) -> CaseloadRow:
    window = _window(r)
    next_milestone = None
    if r["next_milestone"] is not None:
        stored = Projection(
            MilestoneKind(r["next_milestone"]), r["next_projected_on"], bool(r["next_on_track"])
        )
        next_milestone = _shown(stored, window, today)
    since = r["evidence_due_since"]
    return CaseloadRow(
        participant_id=r["participant_id"],
        referral_id=r["referral_id"],
        contract_id=r["contract_id"],
        borough=r["borough"],
        eligibility_group=r["eligibility_group"],
        age_band=r["age_band"],
        referral_source=r["referral_source"],
        start_date=r["start_date"],
        left_on=r["left_on"],
        leaver_reason=r["leaver_reason"],
        stage=Stage.IN_WORK if r["in_work"] else Stage.STARTED,
        milestones_reached=tuple(MilestoneKind(m) for m in r["milestones_reached"]),
        current_job=_current_job(r),
        next_milestone=next_milestone,
        window_days_left=window.days_left(today),
        evidence_due_since=since if evidence_due(window, since, today) else None,
        attention=attention,
    )


async def participant_timeline(
    conn: Connection, provider_id: str, participant_or_referral_id: str, today: date
) -> Timeline | None:
    """Everything that happened to one of the provider's participants, in time order;
    None when no participant of this provider has that participant_id or referral_id."""
    ident = participant_or_referral_id[: MAX_SEARCH * 2]
    record = await conn.fetchrow(
        f"SELECT p.*, job.* FROM participants p {_CURRENT_JOB}"
        " WHERE p.provider_id = $1 AND (p.participant_id = $2 OR p.referral_id = $2)"
        " ORDER BY p.participant_id = $2 DESC LIMIT 1",
        provider_id,
        ident,
    )
    if record is None:
        return None
    participant_id = record["participant_id"]
    attention = await _attention(conn, provider_id, [participant_id])
    row = _row(record, today, attention.get(participant_id, ()))
    facts = await timeline_entries.load(conn, provider_id, participant_id, record["referral_id"])
    window = _window(record)
    projected = projections(
        window,
        facts.progress,
        facts.open_jobs,
        row.milestones_reached,
        [MilestoneKind(m) for m in record["counted_milestones"]],
    )
    shown = tuple(s for p in projected if (s := _shown(p, window, today)) is not None)
    return Timeline(participant=row, entries=facts.entries, projections=shown)


__all__ = [
    "caseload",
    "caseload_export",
    "funnel_rows",
    "minimum_wage_rows",
    "participant_timeline",
    "payment_lines",
    "referral_ids",
    "statements",
]
