"""All SQL that writes the read model. Each kind of event is written with one statement
per batch: the kinds most events are (placements, evidence, milestones reached) and the
derived columns as one set-based statement over ``unnest`` of column arrays, the rarer
kinds with one ``executemany``. Every write sets columns from the event (upserts), so
the content after a set of events does not depend on how they were batched."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.rejections import EventRejected
from schemas.sustainment import (
    EvidenceProgress,
    EvidenceRecorded,
    EvidenceRemoved,
    MilestoneReached,
    MilestoneRevoked,
)
from services.common.db import Connection, columns

Key = tuple[str, str]
"""(provider_id, participant_id)"""

FACT_COLUMNS: dict[str, str] = {
    "participants": "provider_id, participant_id, contract_id, eligibility_group, start_date,"
    " left_on, earnings_threshold_pence, weekly_hours_min, in_work, milestones_reached,"
    " counted_milestones, next_milestone, next_projected_on, next_on_track,"
    " evidence_due_since",
    "placements": "provider_id, participant_id, placement_id, job_start_date,"
    " employment_type, hourly_wage_pence, weekly_hours, ended_on,"
    " withdrawn_on, latest_evidence_end",
    "progress": "provider_id, participant_id, earnings_threshold_pence, weekly_hours_min,"
    " counted_earnings_pence, latest_employed_evidence_end, in_work_weeks,"
    " self_employment_days, latest_self_employment_end, evidence_placement_ids,"
    " evidence_period_ends",
    "milestones": "provider_id, participant_id, milestone, occurrence,"
    " reached_at IS NOT NULL AS reached, revoked_at IS NOT NULL AS revoked",
}
"""What ``facts_of`` reads of each table (``t``: the table)."""


class ViewsStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def participants_started(
        self, events: Sequence[tuple[ParticipantStarted, date, int, str, str]]
    ) -> None:
        """(event, window's last day, threshold T, weekly hours minimum, the milestones
        the contract pays as comma-separated text). Of two starts of one participant the
        last is written, ``updated_at`` the latest of both (row by row: ``GREATEST`` of
        every start's)."""
        latest: dict[Key, datetime] = {}
        for e, *_ in events:
            key = (e.provider_id, e.participant_id)
            latest[key] = max(latest.get(key, e.produced_at), e.produced_at)
        await self._unnest(
            """
            INSERT INTO participants (provider_id, participant_id, referral_id, contract_id,
                sub_region, borough, eligibility_group, eligibility_subgroup, age_band,
                referral_source, start_date, window_last_day, earnings_threshold_pence,
                weekly_hours_min, started_at, updated_at, counted_milestones)
            SELECT p, pa, r, c, sr, b, g, sg, ab, rs, sd, wl, t, h::numeric, at, up,
                string_to_array(cm, ',')
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                        $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                        $11::date[], $12::date[], $13::bigint[], $14::text[],
                        $15::timestamptz[], $16::timestamptz[], $17::text[])
                AS u(p, pa, r, c, sr, b, g, sg, ab, rs, sd, wl, t, h, at, up, cm)
            ON CONFLICT (provider_id, participant_id) DO UPDATE SET
                referral_id = EXCLUDED.referral_id, contract_id = EXCLUDED.contract_id,
                sub_region = EXCLUDED.sub_region, borough = EXCLUDED.borough,
                eligibility_group = EXCLUDED.eligibility_group,
                eligibility_subgroup = EXCLUDED.eligibility_subgroup,
                age_band = EXCLUDED.age_band, referral_source = EXCLUDED.referral_source,
                start_date = EXCLUDED.start_date, window_last_day = EXCLUDED.window_last_day,
                earnings_threshold_pence = EXCLUDED.earnings_threshold_pence,
                weekly_hours_min = EXCLUDED.weekly_hours_min,
                started_at = EXCLUDED.started_at,
                updated_at = GREATEST(participants.updated_at, EXCLUDED.updated_at),
                counted_milestones = EXCLUDED.counted_milestones
            """,
            [
                (
                    e.provider_id,
                    e.participant_id,
                    e.referral_id,
                    e.contract_id,
                    e.sub_region.value,
                    e.borough,
                    e.eligibility_group.value,
                    e.eligibility_subgroup,
                    e.age_band.value,
                    e.referral_source.value,
                    e.start_date,
                    last_day,
                    threshold,
                    hours_min,
                    e.produced_at,
                    latest[(e.provider_id, e.participant_id)],
                    counted,
                )
                for e, last_day, threshold, hours_min, counted in events
            ],
            width=17,
            key=2,
        )

    async def participants_displaced(self, events: Sequence[ParticipantDisplaced]) -> None:
        """§4 v3: a displaced start is no participant of its provider's any more."""
        await self._unnest(
            "DELETE FROM participants t"
            " USING unnest($1::text[], $2::text[], $3::text[]) AS u(p, pa, r)"
            " WHERE t.provider_id = u.p AND t.participant_id = u.pa AND t.referral_id = u.r",
            [(e.provider_id, e.participant_id, e.referral_id) for e in events],
            width=3,
        )

    async def participants_left(self, events: Sequence[ParticipantLeft]) -> None:
        """The last leaver of a participant is written, ``updated_at`` moved to the
        latest of them all (row by row: ``GREATEST`` of each)."""
        latest: dict[Key, datetime] = {}
        for e in events:
            key = (e.provider_id, e.participant_id)
            latest[key] = max(latest.get(key, e.produced_at), e.produced_at)
        await self._unnest(
            "UPDATE participants t SET left_on = u.l, leaver_reason = u.r, left_at = u.at,"
            " updated_at = GREATEST(t.updated_at, u.up)"
            " FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::timestamptz[],"
            " $6::timestamptz[]) AS u(p, pa, l, r, at, up)"
            " WHERE t.provider_id = u.p AND t.participant_id = u.pa",
            [
                (
                    e.provider_id,
                    e.participant_id,
                    e.end_date,
                    e.reason,
                    e.produced_at,
                    latest[(e.provider_id, e.participant_id)],
                )
                for e in events
            ],
            width=6,
            key=2,
        )

    async def placements_confirmed(self, events: Sequence[PlacementConfirmed]) -> None:
        await self._unnest(
            """
            INSERT INTO placements (provider_id, placement_id, participant_id, referral_id,
                contract_id, job_start_date, employment_type, hourly_wage_pence, weekly_hours,
                pays_llw, below_minimum_wage, employer_name, sic_sector, confirmed_at)
            SELECT p, pl, pa, r, c, j, t, w, h::numeric, llw, bmw, em, sic, at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                        $6::date[], $7::text[], $8::bigint[], $9::text[], $10::boolean[],
                        $11::boolean[], $12::text[], $13::text[], $14::timestamptz[])
                AS u(p, pl, pa, r, c, j, t, w, h, llw, bmw, em, sic, at)
            ON CONFLICT (provider_id, placement_id) DO UPDATE SET
                participant_id = EXCLUDED.participant_id, referral_id = EXCLUDED.referral_id,
                contract_id = EXCLUDED.contract_id, job_start_date = EXCLUDED.job_start_date,
                employment_type = EXCLUDED.employment_type,
                hourly_wage_pence = EXCLUDED.hourly_wage_pence,
                weekly_hours = EXCLUDED.weekly_hours, pays_llw = EXCLUDED.pays_llw,
                below_minimum_wage = EXCLUDED.below_minimum_wage,
                employer_name = EXCLUDED.employer_name, sic_sector = EXCLUDED.sic_sector,
                confirmed_at = EXCLUDED.confirmed_at
            """,
            [
                (
                    e.provider_id,
                    e.placement_id,
                    e.participant_id,
                    e.referral_id,
                    e.contract_id,
                    e.job_start_date,
                    e.employment_type.value,
                    e.hourly_wage_pence,
                    str(e.weekly_hours),
                    e.pays_llw,
                    e.below_minimum_wage,
                    e.employer_name,
                    e.sic_sector,
                    e.produced_at,
                )
                for e in events
            ],
            width=14,
            key=2,
        )

    async def placements_ended(self, events: Sequence[PlacementEnded]) -> None:
        """The last end of a placement is written (as row by row)."""
        await self._unnest(
            "UPDATE placements t SET ended_on = u.e, ended_at = u.at"
            " FROM unnest($1::text[], $2::text[], $3::date[], $4::timestamptz[])"
            " AS u(p, pl, e, at)"
            " WHERE t.provider_id = u.p AND t.placement_id = u.pl",
            [(e.provider_id, e.placement_id, e.end_date, e.produced_at) for e in events],
            width=4,
            key=2,
        )

    async def placements_withdrawn(self, events: Sequence[PlacementWithdrawn]) -> None:
        """The last withdrawal of a placement is written (as row by row)."""
        await self._unnest(
            "UPDATE placements t SET withdrawn_on = u.l, withdrawn_reason = u.r,"
            " withdrawn_at = u.at"
            " FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::timestamptz[])"
            " AS u(p, pl, l, r, at)"
            " WHERE t.provider_id = u.p AND t.placement_id = u.pl",
            [
                (e.provider_id, e.placement_id, e.leaver_date, e.reason.value, e.produced_at)
                for e in events
            ],
            width=5,
            key=2,
        )

    async def evidence_recorded(self, events: Sequence[EvidenceRecorded]) -> None:
        await self._unnest(
            """
            INSERT INTO evidence (provider_id, evidence_id, version, participant_id,
                placement_id, kind, period_start, period_end, gross_earnings_pence, hours,
                reported_on, recorded_at)
            SELECT p, e, v, pa, pl, k, ps, pe, g, h::numeric, r, at
            FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[],
                        $6::text[], $7::date[], $8::date[], $9::bigint[], $10::text[],
                        $11::date[], $12::timestamptz[])
                AS u(p, e, v, pa, pl, k, ps, pe, g, h, r, at)
            ON CONFLICT (provider_id, evidence_id, version) DO NOTHING
            """,
            [
                (
                    e.provider_id,
                    e.evidence_id,
                    e.version,
                    e.participant_id,
                    e.placement_id,
                    e.kind.value,
                    e.period_start,
                    e.period_end,
                    e.gross_earnings_pence,
                    str(e.hours_worked),
                    e.reported_on,
                    e.produced_at,
                )
                for e in events
            ],
            width=12,
        )

    async def evidence_removed(self, events: Sequence[EvidenceRemoved]) -> None:
        """An evidence retracted stays retracted when it was first: of two removals of
        one evidence in the batch the first is written (row by row, the second found
        ``retracted_at`` set)."""
        await self._unnest(
            "UPDATE evidence t SET retracted_at = u.at"
            " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(p, e, at)"
            " WHERE t.provider_id = u.p AND t.evidence_id = u.e AND t.retracted_at IS NULL",
            [(e.provider_id, e.evidence_id, e.produced_at) for e in reversed(events)],
            width=3,
            key=2,
        )

    async def progress(self, events: Sequence[EvidenceProgress]) -> None:
        """The latest progress of each participant (the caller passes the last of each;
        the last of a key is kept here too). A row's placements and their ends travel
        as one JSON text each (arrays of different lengths do not fit one array)."""
        await self._unnest(
            """
            INSERT INTO progress (provider_id, participant_id, earnings_threshold_pence,
                weekly_hours_min, counted_earnings_pence, latest_employed_evidence_end,
                in_work_weeks, self_employment_days, latest_self_employment_end,
                evidence_placement_ids, evidence_period_ends, produced_at)
            SELECT p, pa, t, h::numeric, c, le, w, sd, ls,
                ids::text[], ends::date[], at
            FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[],
                        $6::date[], $7::integer[], $8::integer[], $9::date[], $10::text[],
                        $11::text[], $12::timestamptz[])
                AS u(p, pa, t, h, c, le, w, sd, ls, ids, ends, at)
            ON CONFLICT (provider_id, participant_id) DO UPDATE SET
                earnings_threshold_pence = EXCLUDED.earnings_threshold_pence,
                weekly_hours_min = EXCLUDED.weekly_hours_min,
                counted_earnings_pence = EXCLUDED.counted_earnings_pence,
                latest_employed_evidence_end = EXCLUDED.latest_employed_evidence_end,
                in_work_weeks = EXCLUDED.in_work_weeks,
                self_employment_days = EXCLUDED.self_employment_days,
                latest_self_employment_end = EXCLUDED.latest_self_employment_end,
                evidence_placement_ids = EXCLUDED.evidence_placement_ids,
                evidence_period_ends = EXCLUDED.evidence_period_ends,
                produced_at = EXCLUDED.produced_at
            """,
            [
                (
                    e.provider_id,
                    e.participant_id,
                    e.earnings_threshold_pence,
                    str(e.weekly_hours_min),
                    e.counted_earnings_pence,
                    e.latest_employed_evidence_end,
                    e.in_work_weeks,
                    e.self_employment_days,
                    e.latest_self_employment_end,
                    array_literal(p.placement_id for p in e.placements),
                    array_literal(p.latest_period_end.isoformat() for p in e.placements),
                    e.produced_at,
                )
                for e in events
            ],
            width=12,
            key=2,
        )

    async def milestones_reached(self, events: Sequence[MilestoneReached]) -> None:
        """The evidence ids of each row as a JSON array (one text each: arrays of
        different lengths do not fit one array of arrays)."""
        await self._unnest(
            """
            INSERT INTO milestones (provider_id, participant_id, milestone, occurrence,
                contract_id, reached_on, placement_id, evidence_ids, job_pays_llw, payable,
                not_payable_reason, reached_at)
            SELECT p, pa, m, o, c, r, pl, ev::text[], llw, pay, npr, at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[],
                        $6::date[], $7::text[], $8::text[], $9::boolean[], $10::boolean[],
                        $11::text[], $12::timestamptz[])
                AS u(p, pa, m, o, c, r, pl, ev, llw, pay, npr, at)
            ON CONFLICT (provider_id, participant_id, milestone, occurrence) DO UPDATE SET
                contract_id = EXCLUDED.contract_id, reached_on = EXCLUDED.reached_on,
                placement_id = EXCLUDED.placement_id, evidence_ids = EXCLUDED.evidence_ids,
                job_pays_llw = EXCLUDED.job_pays_llw, payable = EXCLUDED.payable,
                not_payable_reason = EXCLUDED.not_payable_reason,
                reached_at = EXCLUDED.reached_at
            """,
            [
                (
                    e.provider_id,
                    e.participant_id,
                    e.milestone.value,
                    e.occurrence,
                    e.contract_id,
                    e.reached_on,
                    e.placement_id,
                    array_literal(e.evidence_ids),
                    e.job_pays_llw,
                    e.payable,
                    e.not_payable_reason.value if e.not_payable_reason else None,
                    e.produced_at,
                )
                for e in events
            ],
            width=12,
            key=4,
        )

    async def milestones_revoked(self, events: Sequence[MilestoneRevoked]) -> None:
        """Of two revocations of one occurrence the last ``revoked_at`` is written; a row
        they create takes the first one's contract (as row by row)."""
        first: dict[tuple[str, str, str, int], str] = {}
        for e in events:
            first.setdefault(_occurrence(e), e.contract_id)
        await self._unnest(
            """
            INSERT INTO milestones (provider_id, participant_id, milestone, occurrence,
                contract_id, revoked_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[],
                                 $5::text[], $6::timestamptz[])
            ON CONFLICT (provider_id, participant_id, milestone, occurrence) DO UPDATE SET
                revoked_at = EXCLUDED.revoked_at
            """,
            [(*_occurrence(e), first[_occurrence(e)], e.produced_at) for e in events],
            width=6,
            key=4,
        )

    async def milestones_not_paid(self, events: Sequence[MilestoneNotPaid]) -> None:
        """Of two for one occurrence the last reason is written; a row they create takes
        the first one's contract and ``reached_on`` (as row by row)."""
        first: dict[tuple[str, str, str, int], MilestoneNotPaid] = {}
        for e in events:
            first.setdefault(_occurrence(e), e)
        await self._unnest(
            """
            INSERT INTO milestones (provider_id, participant_id, milestone, occurrence,
                contract_id, reached_on, not_paid_reason, not_paid_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[],
                                 $5::text[], $6::date[], $7::text[], $8::timestamptz[])
            ON CONFLICT (provider_id, participant_id, milestone, occurrence) DO UPDATE SET
                not_paid_reason = EXCLUDED.not_paid_reason,
                not_paid_at = EXCLUDED.not_paid_at,
                reached_on = COALESCE(milestones.reached_on, EXCLUDED.reached_on)
            """,
            [
                (
                    *_occurrence(e),
                    first[_occurrence(e)].contract_id,
                    first[_occurrence(e)].reached_on,
                    e.reason.value,
                    e.produced_at,
                )
                for e in events
            ],
            width=8,
            key=4,
        )

    async def payments(self, events: Sequence[ProviderPaymentIssued]) -> None:
        """A payment once (the first of an id: ``DO NOTHING`` within a statement too);
        its evidence ids as one JSON text (arrays of different lengths)."""
        await self._unnest(
            """
            INSERT INTO payments (payment_id, event_id, milestone_event_id, provider_id,
                participant_id, contract_id, contract_version, milestone, occurrence,
                reached_on, amount_pence, base_pence, uplift_pence, reverses, placement_id,
                evidence_ids, issued_at)
            SELECT pid, eid, mid, p, pa, c, cv, m, o, r, a, b, up, rev, pl, ev::text[], at
            FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                        $6::text[], $7::text[], $8::text[], $9::integer[], $10::date[],
                        $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[],
                        $16::text[], $17::timestamptz[])
                AS u(pid, eid, mid, p, pa, c, cv, m, o, r, a, b, up, rev, pl, ev, at)
            ON CONFLICT (payment_id) DO NOTHING
            """,
            [
                (
                    e.payment_id,
                    e.event_id,
                    e.lineage.milestone_event_id,
                    e.provider_id,
                    e.participant_id,
                    e.contract_id,
                    e.contract_version,
                    e.milestone.value,
                    e.occurrence,
                    e.reached_on,
                    e.amount_pence,
                    e.base_pence,
                    e.uplift_pence,
                    e.reverses,
                    e.lineage.placement_id,
                    array_literal(e.lineage.evidence_ids),
                    e.produced_at,
                )
                for e in events
            ],
            width=17,
        )

    async def rejections(
        self, events: Sequence[tuple[EventRejected, dict[str, str | None]]]
    ) -> None:
        """(rejection, ids read from its masked original: type, referral, placement,
        evidence); a rejection once (the first of an id)."""
        await self._unnest(
            """
            INSERT INTO rejections (event_id, provider_id, service, reason, message,
                source_topic, source_partition, source_offset, source_event_id, event_type,
                referral_id, placement_id, evidence_id, original_prefix_b64,
                original_length, original_sha256, rejected_at)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::text[], $7::integer[], $8::bigint[], $9::text[],
                                 $10::text[], $11::text[], $12::text[], $13::text[],
                                 $14::text[], $15::integer[], $16::text[],
                                 $17::timestamptz[])
            ON CONFLICT (event_id) DO NOTHING
            """,
            [
                (
                    e.event_id,
                    e.provider_id,
                    e.service,
                    e.reason.value,
                    e.message,
                    e.source_topic,
                    e.source_partition,
                    e.source_offset,
                    e.source_event_id,
                    ids.get("type"),
                    ids.get("referral_id"),
                    ids.get("placement_id"),
                    ids.get("evidence_id"),
                    e.original_prefix_b64,
                    e.original_length,
                    e.original_sha256,
                    e.produced_at,
                )
                for e, ids in events
            ],
            width=17,
        )

    async def _unnest(
        self, statement: str, rows: Sequence[tuple[Any, ...]], *, width: int, key: int = 0
    ) -> None:
        """One statement for the batch's rows of a kind, given as column arrays (an upsert
        that updates keeps the last row of a key, as row by row: ``db.columns``)."""
        await self.conn.execute(statement, *columns(rows, width, key=key))

    # ------------------------------------------------------------------ derived columns

    async def facts_of(self, keys: Sequence[Key]) -> dict[str, list[Any]]:
        """The participants, placements, progress and milestones of ``keys``: only the
        columns the derived columns are worked out from, and those they are compared
        with (a row is written only when it changes)."""
        providers, participants = [k[0] for k in keys], [k[1] for k in keys]
        found: dict[str, list[Any]] = {}
        for table, wanted in FACT_COLUMNS.items():
            found[table] = await self.conn.fetch(
                f"SELECT {wanted} FROM {table} t"
                " JOIN unnest($1::text[], $2::text[]) AS k(provider_id, participant_id)"
                " USING (provider_id, participant_id)",
                providers,
                participants,
            )
        return found

    async def write_derived(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """(provider, participant, in_work, reached, counted, next milestone, projected
        on, on track, evidence due since), the milestone lists as comma-separated text
        (a list per row does not fit one array of arrays). One statement for the batch;
        a row whose columns are already these is left alone (no new row version)."""
        if not rows:
            return
        await self.conn.execute(
            """
            UPDATE participants p SET in_work = d.in_work,
                milestones_reached = string_to_array(d.reached, ','),
                counted_milestones = string_to_array(d.counted, ','),
                next_milestone = d.next_milestone, next_projected_on = d.next_projected_on,
                next_on_track = d.next_on_track, evidence_due_since = d.evidence_due_since
            FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[],
                        $6::text[], $7::date[], $8::boolean[], $9::date[])
                AS d(provider_id, participant_id, in_work, reached, counted, next_milestone,
                     next_projected_on, next_on_track, evidence_due_since)
            WHERE p.provider_id = d.provider_id AND p.participant_id = d.participant_id
              AND (p.in_work, p.milestones_reached, p.counted_milestones, p.next_milestone,
                   p.next_projected_on, p.next_on_track, p.evidence_due_since)
                  IS DISTINCT FROM
                  (d.in_work, string_to_array(d.reached, ','),
                   string_to_array(d.counted, ','), d.next_milestone, d.next_projected_on,
                   d.next_on_track, d.evidence_due_since)
            """,
            *columns(rows, 9, key=2),
        )

    async def write_latest_ends(self, rows: Sequence[tuple[str, str, date | None]]) -> None:
        """(provider, placement, latest counting period end): one statement for the
        batch, writing only the placements whose end changed."""
        if not rows:
            return
        await self.conn.execute(
            "UPDATE placements p SET latest_evidence_end = d.latest_evidence_end"
            " FROM unnest($1::text[], $2::text[], $3::date[])"
            " AS d(provider_id, placement_id, latest_evidence_end)"
            " WHERE p.provider_id = d.provider_id AND p.placement_id = d.placement_id"
            " AND p.latest_evidence_end IS DISTINCT FROM d.latest_evidence_end",
            *columns(rows, 3, key=2),
        )


def array_literal(items: Iterable[str]) -> str:
    """``items`` as one PostgreSQL array literal (``'{"a","b"}'``, cast with ``::text[]``
    or ``::date[]``): rows whose arrays differ in length travel as one text each, since
    an array of arrays must be rectangular. Every element is quoted, its ``\\`` and ``"``
    escaped, so any text comes back as it was."""
    quoted = ('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return "{" + ",".join(quoted) + "}"


def _occurrence(e: MilestoneRevoked | MilestoneNotPaid) -> tuple[str, str, str, int]:
    return (e.provider_id, e.participant_id, e.milestone.value, e.occurrence)
