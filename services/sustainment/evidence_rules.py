"""Intake rules for in-work evidence (domain.md §6, §9, §10): checks, owners, versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from schemas.common import EmploymentType, RejectionReason
from schemas.provider import EvidenceSubmitted
from services.common.decisions import ACCEPT, IGNORE, Accept, Hold, Ignore
from services.common.provider_keys import release_key
from services.common.rejection import Rejection

from .facts import EvidenceFacts, kind_fits_employment

MAX_PERIOD_DAYS = 35
HOURS_PER_DAY = 24
"""Hours worked are at most 24 x the days of the evidence's period (§6, version 3)."""

__all__ = ["MAX_PERIOD_DAYS", "Rejection"]


@dataclass(frozen=True)
class EvidenceOwner:
    """What is stored for an ``evidence_id``: its first accepted version's provider and
    placement (its owners, §10), the current version and whether it was retracted."""

    placement_id: str
    provider_id: str
    version: int
    retracted: bool = False


@dataclass(frozen=True)
class KnownPlacement:
    """What evidence needs to know about the placement it names."""

    employment_type: EmploymentType
    provider_id: str


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
       hours over 24 x the days of the period (version 3); kind not fitting the
       placement's employment type.
    3. ``provider_mismatch``: the placement belongs to another provider (§9 "Provider").

    ``hours_worked`` is the hours as submitted. Pass it when the caller could not convert
    them (``hours_to_hundredths`` returned None) so that an invalid period still wins over
    invalid hours; ``ev.hours_hundredths`` is then not consulted.
    """
    alone = check_evidence_alone(ev, hours_worked)
    if alone is not None:
        return alone
    return _check_against_placement(
        ev, KnownPlacement(placement_employment_type, placement_provider_id), sender_provider_id
    )


def evidence_facts(event: EvidenceSubmitted) -> tuple[EvidenceFacts, Decimal | None]:
    """The facts of submitted evidence, and its hours as sent when they are not exact
    hundredths (the rules then reject them; ``hours_hundredths`` is 0 and not consulted)."""
    hundredths = hours_to_hundredths(event.hours_worked)
    facts = EvidenceFacts(
        evidence_id=event.evidence_id,
        placement_id=event.placement_id,
        kind=event.kind,
        period_start=event.period_start,
        period_end=event.period_end,
        gross_earnings_pence=event.gross_earnings_pence,
        hours_hundredths=hundredths if hundredths is not None else 0,
        reported_on=event.reported_on,
    )
    return facts, (event.hours_worked if hundredths is None else None)


def check_evidence_alone(
    ev: EvidenceFacts, hours_worked: Decimal | None = None
) -> Rejection | None:
    """The rules that need nothing but the evidence itself (§10 "Checks before holds").

    ``invalid_period``, then ``invalid_evidence`` for earnings, hours, reported_on and
    hours over 24 x the days of the period.
    They come first in the rule order too, so holding never changes the reason.
    """
    period = _period_rule(ev)
    if period is not None:
        return period
    problem: str | None = None
    if ev.gross_earnings_pence < 0:
        problem = f"gross_earnings_pence {ev.gross_earnings_pence} is negative"
    elif hours_worked is not None and hours_to_hundredths(hours_worked) is None:
        problem = f"hours_worked {hours_worked} is negative or has more than 2 decimal places"
    elif hours_worked is None and ev.hours_hundredths < 0:
        problem = f"hours_worked {Decimal(ev.hours_hundredths).scaleb(-2)} is negative"
    elif ev.reported_on < ev.period_end:
        problem = f"reported_on {ev.reported_on} is before period_end {ev.period_end}"
    elif hours_worked is None and ev.hours_hundredths > max_hours_hundredths(ev.period_days):
        problem = (
            f"hours_worked {Decimal(ev.hours_hundredths).scaleb(-2)} is more than"
            f" {HOURS_PER_DAY} x the {ev.period_days} days of the period"
            f" ({HOURS_PER_DAY * ev.period_days} hours)"
        )
    return None if problem is None else Rejection(RejectionReason.INVALID_EVIDENCE, problem)


def _check_against_placement(
    ev: EvidenceFacts, placement: KnownPlacement, sender_provider_id: str
) -> Rejection | None:
    if not kind_fits_employment(ev.kind, placement.employment_type):
        return Rejection(
            RejectionReason.INVALID_EVIDENCE,
            f"kind {ev.kind.value} does not fit placement {ev.placement_id}, "
            f"which is {placement.employment_type.value}",
        )
    if placement.provider_id != sender_provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"placement {ev.placement_id} does not belong to provider {sender_provider_id}",
        )
    return None


def decide_evidence(
    ev: EvidenceFacts,
    version: int,
    sender_provider_id: str,
    owner: EvidenceOwner | None,
    placement: KnownPlacement | None,
    *,
    hours_worked: Decimal | None = None,
    held_before: Sequence[str] = (),
) -> Rejection | Hold | Ignore | Accept:
    """What to do with evidence (§6, §9 "Evidence versions", §10).

    ``held_before``: what the held inputs of the same evidence id wait for, oldest first.

    1. the rules of :func:`check_evidence_alone` (never held);
    2. one owner per evidence id: a version naming another placement than the first
       accepted one is ``invalid_evidence`` (the stored owner is all it needs);
    3. an earlier input of the same evidence id is held (for its placement): held
       behind it, so that they are applied in arrival order -- the first of two equal
       versions stands, and a held first version owns its id (:func:`held_predecessor`);
       the placement unknown (or withdrawn): held until ``placement:<provider_id>:<id>``
       (the sender's own placement of that id: ids are per provider, v3 §9);
    4. kind against the placement (``invalid_evidence``), then ``provider_mismatch``
       (the placement's or the evidence id's provider is another);
    5. versions: a valid lower or equal version, or any after a retraction, is ignored.
    """
    alone = check_evidence_alone(ev, hours_worked)
    if alone is not None:
        return alone
    if owner is not None and owner.placement_id != ev.placement_id:
        return Rejection(
            RejectionReason.INVALID_EVIDENCE,
            f"evidence_id {ev.evidence_id} belongs to placement {owner.placement_id}, "
            f"not {ev.placement_id}",
        )
    predecessor = held_predecessor(sender_provider_id, ev.evidence_id, held_before)
    if predecessor is not None:
        return Hold(predecessor)
    if placement is None:
        return Hold(release_key("placement", sender_provider_id, ev.placement_id))
    rejection = _check_against_placement(ev, placement, sender_provider_id)
    if rejection is not None:
        return rejection
    if owner is not None and owner.provider_id != sender_provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"evidence_id {ev.evidence_id} belongs to provider {owner.provider_id}",
        )
    if owner is not None and not accept_version(owner.version, owner.retracted, version):
        return IGNORE
    return ACCEPT


def decide_retraction(
    evidence_id: str,
    sender_provider_id: str,
    owner: EvidenceOwner | None,
    *,
    held_before: Sequence[str] = (),
) -> Rejection | Hold | Ignore | Accept:
    """A version of the evidence held for its placement: held behind it (arrival order,
    :func:`held_predecessor`); unknown evidence is held until
    ``evidence:<provider_id>:<id>`` (the sender's own evidence of that id); another
    provider's is ``provider_mismatch``; a second retraction is ignored (a retraction is
    final)."""
    predecessor = held_predecessor(sender_provider_id, evidence_id, held_before)
    if predecessor is not None:
        return Hold(predecessor)
    if owner is None:
        return Hold(release_key("evidence", sender_provider_id, evidence_id))
    if owner.provider_id != sender_provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"evidence {evidence_id!r} belongs to another provider",
        )
    return IGNORE if owner.retracted else ACCEPT


def evidence_subject(provider_id: str, evidence_id: str) -> str:
    """The subject of evidence versions and retractions: their arrival order matters.

    Per provider: arrival order exists only within a provider's topic (keyed by
    evidence_id), and another provider's held input must not hold a provider's back."""
    return f"evidence:{provider_id}:{evidence_id}"


def held_predecessor(provider_id: str, evidence_id: str, held_before: Sequence[str]) -> str | None:
    """What the next input of ``evidence_id`` must wait for to stay behind the held ones.

    ``held_before`` is what the held inputs of this evidence id wait for, oldest first.
    Retractions waiting for the evidence itself (``evidence:<provider_id>:<id>``) wait for
    a version to be accepted, so they hold nothing back; any other held input (a version waiting
    for its placement, or one held behind it) does: its ``waiting_for`` is returned, so
    one release lets them all out, in arrival order (domain.md §9 "Evidence versions").
    """
    own = release_key("evidence", provider_id, evidence_id)  # what an accepted version releases
    return next((w for w in held_before if w != own), None)


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


def max_hours_hundredths(period_days: int) -> int:
    """The most hours (in hundredths) evidence of a period of ``period_days`` may report."""
    return HOURS_PER_DAY * 100 * period_days


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
