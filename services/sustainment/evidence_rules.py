"""Intake rules for in-work evidence (domain.md §6, §9): checks, hours, versions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from schemas.common import EmploymentType, RejectionReason

from .facts import EvidenceFacts, kind_fits_employment

MAX_PERIOD_DAYS = 35


@dataclass(frozen=True)
class Rejection:
    reason: RejectionReason
    message: str


def check_evidence(
    ev: EvidenceFacts,
    placement_employment_type: EmploymentType,
    placement_provider_id: str,
    sender_provider_id: str,
    *,
    hours_worked: Decimal | None = None,
) -> Rejection | None:
    """The first rule the evidence breaks, or None when it may be accepted.

    Order (domain.md §9 "One reason": the first rule in the document's order). §6 lists the
    evidence rules' reasons as [invalid_period, invalid_evidence, provider_mismatch], so:

    1. ``invalid_period``: period_end before period_start; period over 35 days inclusive.
    2. ``invalid_evidence``, in the order §6 names the fields: negative gross earnings;
       hours negative or with more than 2 decimal places; reported_on before period_end;
       kind not fitting the placement's employment type.
    3. ``provider_mismatch``: the placement belongs to another provider (§9 "Provider").

    ``hours_worked`` is the hours as submitted. Pass it when the caller could not convert
    them (``hours_to_hundredths`` returned None) so that an invalid period still wins over
    invalid hours; ``ev.hours_hundredths`` is then not consulted.
    """
    for rule in (_period_rule(ev), _evidence_rule(ev, placement_employment_type, hours_worked)):
        if rule is not None:
            return rule
    if placement_provider_id != sender_provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"placement {ev.placement_id} does not belong to provider {sender_provider_id}",
        )
    return None


def _period_rule(ev: EvidenceFacts) -> Rejection | None:
    if ev.period_end < ev.period_start:
        return Rejection(
            RejectionReason.INVALID_PERIOD,
            f"period_end {ev.period_end} is before period_start {ev.period_start}",
        )
    if ev.period_days > MAX_PERIOD_DAYS:
        return Rejection(
            RejectionReason.INVALID_PERIOD,
            f"period_start {ev.period_start} to period_end {ev.period_end} is "
            f"{ev.period_days} days; at most {MAX_PERIOD_DAYS} days allowed",
        )
    return None


def _evidence_rule(
    ev: EvidenceFacts, employment_type: EmploymentType, hours_worked: Decimal | None
) -> Rejection | None:
    problem: str | None = None
    if ev.gross_earnings_pence < 0:
        problem = f"gross_earnings_pence {ev.gross_earnings_pence} is negative"
    elif hours_worked is not None and hours_to_hundredths(hours_worked) is None:
        problem = f"hours_worked {hours_worked} is negative or has more than 2 decimal places"
    elif hours_worked is None and ev.hours_hundredths < 0:
        problem = f"hours_worked {Decimal(ev.hours_hundredths).scaleb(-2)} is negative"
    elif ev.reported_on < ev.period_end:
        problem = f"reported_on {ev.reported_on} is before period_end {ev.period_end}"
    elif not kind_fits_employment(ev.kind, employment_type):
        problem = (
            f"kind {ev.kind.value} does not fit placement {ev.placement_id}, "
            f"which is {employment_type.value}"
        )
    return None if problem is None else Rejection(RejectionReason.INVALID_EVIDENCE, problem)


def hours_to_hundredths(hours: Decimal) -> int | None:
    """Exact hundredths of an hour; None when negative, not finite, or finer than 0.01.

    The test is on the value: ``1.500`` is 150 hundredths, ``1.505`` is None.
    """
    if not hours.is_finite() or hours < 0:
        return None
    numerator, denominator = hours.as_integer_ratio()
    scaled, remainder = divmod(numerator * 100, denominator)
    return None if remainder else scaled


def accept_version(current_version: int | None, retracted: bool, new_version: int) -> bool:
    """Whether a valid evidence version replaces the current one (§9 "Evidence versions").

    A retraction is final; otherwise only a strictly higher version replaces, so the
    first of two equal versions stands.
    """
    if retracted:
        return False
    return current_version is None or new_version > current_version
