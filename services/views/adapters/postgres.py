"""All SQL that writes the read model. Each kind of event is written with one statement
per batch: the kinds most events are (placements, evidence, milestones reached) and the
derived columns as one set-based statement over ``unnest`` of column arrays, the rarer
kinds with one ``executemany``. Every write sets columns from the event (upserts), so
the content after a set of events does not depend on how they were batched."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
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


class ViewsStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def participants_started(
        self, events: Sequence[tuple[ParticipantStarted, date, int, str]]
    ) -> None:
        """(event, window's last day, threshold T, weekly hours minimum)"""
        await self.conn.executemany(
            """
            INSERT INTO participants (provider_id, participant_id, referral_id, contract_id,
                sub_region, borough, eligibility_group, eligibility_subgroup, age_band,
                referral_source, start_date, window_last_day, earnings_threshold_pence,
                weekly_hours_min, started_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::numeric,
                    $15, $15)
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
                updated_at = GREATEST(participants.updated_at, EXCLUDED.updated_at)
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
                )
                for e, last_day, threshold, hours_min in events
            ],
        )

    async def participants_displaced(self, events: Sequence[ParticipantDisplaced]) -> None:
        """§4 v3: a displaced start is no participant of its provider's any more."""
        await self.conn.executemany(
            "DELETE FROM participants"
            " WHERE provider_id = $1 AND participant_id = $2 AND referral_id = $3",
            [(e.provider_id, e.participant_id, e.referral_id) for e in events],
        )

    async def participants_left(self, events: Sequence[ParticipantLeft]) -> None:
        await self.conn.executemany(
            "UPDATE participants SET left_on = $3, leaver_reason = $4, left_at = $5,"
            " updated_at = GREATEST(updated_at, $5)"
            " WHERE provider_id = $1 AND participant_id = $2",
            [
                (e.provider_id, e.participant_id, e.end_date, e.reason, e.produced_at)
                for e in events
            ],
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
        await self.conn.executemany(
            "UPDATE placements SET ended_on = $3, ended_at = $4"
            " WHERE provider_id = $1 AND placement_id = $2",
            [(e.provider_id, e.placement_id, e.end_date, e.produced_at) for e in events],
        )

    async def placements_withdrawn(self, events: Sequence[PlacementWithdrawn]) -> None:
        await self.conn.executemany(
            "UPDATE placements SET withdrawn_on = $3, withdrawn_reason = $4, withdrawn_at = $5"
            " WHERE provider_id = $1 AND placement_id = $2",
            [
                (e.provider_id, e.placement_id, e.leaver_date, e.reason.value, e.produced_at)
                for e in events
            ],
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
        await self.conn.executemany(
            "UPDATE evidence SET retracted_at = $3"
            " WHERE provider_id = $1 AND evidence_id = $2 AND retracted_at IS NULL",
            [(e.provider_id, e.evidence_id, e.produced_at) for e in events],
        )

    async def progress(self, events: Sequence[EvidenceProgress]) -> None:
        """The latest progress of each participant (the caller passes the last of each)."""
        await self.conn.executemany(
            """
            INSERT INTO progress (provider_id, participant_id, earnings_threshold_pence,
                weekly_hours_min, counted_earnings_pence, latest_employed_evidence_end,
                in_work_weeks, self_employment_days, latest_self_employment_end,
                evidence_placement_ids, evidence_period_ends, produced_at)
            VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9, $10, $11, $12)
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
                    [p.placement_id for p in e.placements],
                    [p.latest_period_end for p in e.placements],
                    e.produced_at,
                )
                for e in events
            ],
        )

    async def milestones_reached(self, events: Sequence[MilestoneReached]) -> None:
        """The evidence ids of each row as a JSON array (one text each: arrays of
        different lengths do not fit one array of arrays)."""
        await self._unnest(
            """
            INSERT INTO milestones (provider_id, participant_id, milestone, occurrence,
                contract_id, reached_on, placement_id, evidence_ids, job_pays_llw, payable,
                not_payable_reason, reached_at)
            SELECT p, pa, m, o, c, r, pl,
                ARRAY(SELECT jsonb_array_elements_text(ev::jsonb)), llw, pay, npr, at
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
                    json.dumps(list(e.evidence_ids)),
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
        await self.conn.executemany(
            """
            INSERT INTO milestones (provider_id, participant_id, milestone, occurrence,
                contract_id, revoked_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (provider_id, participant_id, milestone, occurrence) DO UPDATE SET
                revoked_at = EXCLUDED.revoked_at
            """,
            [
                (
                    e.provider_id,
                    e.participant_id,
                    e.milestone.value,
                    e.occurrence,
                    e.contract_id,
                    e.produced_at,
                )
                for e in events
            ],
        )

    async def milestones_not_paid(self, events: Sequence[MilestoneNotPaid]) -> None:
        await self.conn.executemany(
            """
            INSERT INTO milestones (provider_id, participant_id, milestone, occurrence,
                contract_id, reached_on, not_paid_reason, not_paid_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (provider_id, participant_id, milestone, occurrence) DO UPDATE SET
                not_paid_reason = EXCLUDED.not_paid_reason,
                not_paid_at = EXCLUDED.not_paid_at,
                reached_on = COALESCE(milestones.reached_on, EXCLUDED.reached_on)
            """,
            [
                (
                    e.provider_id,
                    e.participant_id,
                    e.milestone.value,
                    e.occurrence,
                    e.contract_id,
                    e.reached_on,
                    e.reason.value,
                    e.produced_at,
                )
                for e in events
            ],
        )

    async def payments(self, events: Sequence[ProviderPaymentIssued]) -> None:
        await self.conn.executemany(
            """
            INSERT INTO payments (payment_id, event_id, milestone_event_id, provider_id,
                participant_id, contract_id, contract_version, milestone, occurrence,
                reached_on, amount_pence, base_pence, uplift_pence, reverses, placement_id,
                evidence_ids, issued_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                    $17)
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
                    list(e.lineage.evidence_ids),
                    e.produced_at,
                )
                for e in events
            ],
        )

    async def rejections(
        self, events: Sequence[tuple[EventRejected, dict[str, str | None]]]
    ) -> None:
        """(rejection, ids read from its masked original: type, referral, placement, evidence)"""
        await self.conn.executemany(
            """
            INSERT INTO rejections (event_id, provider_id, service, reason, message,
                source_topic, source_partition, source_offset, source_event_id, event_type,
                referral_id, placement_id, evidence_id, original_prefix_b64,
                original_length, original_sha256, rejected_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                    $17)
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
        )

    async def _unnest(
        self, statement: str, rows: Sequence[tuple[Any, ...]], *, width: int, key: int = 0
    ) -> None:
        """One statement for the batch's rows of a kind, given as column arrays (an upsert
        that updates keeps the last row of a key, as row by row: ``db.columns``)."""
        await self.conn.execute(statement, *columns(rows, width, key=key))

    # ------------------------------------------------------------------ derived columns

    async def facts_of(self, keys: Sequence[Key]) -> dict[str, list[Any]]:
        """The participants, placements, progress and milestones of ``keys``."""
        providers, participants = [k[0] for k in keys], [k[1] for k in keys]
        found: dict[str, list[Any]] = {}
        for table in ("participants", "placements", "progress", "milestones"):
            found[table] = await self.conn.fetch(
                f"SELECT t.* FROM {table} t"
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
