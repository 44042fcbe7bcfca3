"""Compare what the payments topic holds with a feed's expectation, payment by payment.

"The same payments" (the reading ``make run`` and the order tests use): for every
(contract, participant, milestone), payments minus reversals on the topic equal the
amount the expectation says is due now (domain.md §7, §10). Payment ids carry an
occurrence number, and how often a milestone was paid, reversed and paid again may
legitimately differ with the arrival order; the net per key may not. Independently of
order, the topic itself must be sound: every ``payment_id`` names one payment (a
re-published copy with the same ``event_id`` is the same message, not a second one),
every reversal names a payment that exists, on the same key, for exactly its negative
amount, and no payment is reversed twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from schemas.common import MilestoneKind
from schemas.payments import ProviderPaymentIssued
from tools.feed.model import Expectation, PaymentKey

MAX_LISTED = 25  # differences printed per kind; the counts are always complete


@dataclass(frozen=True)
class PaymentFigures:
    """What the payments topic holds, netted per key."""

    payments: int  # payments that are not reversals (distinct payment ids)
    paid_pence: int
    reversals: int
    reversed_pence: int  # negative or zero
    net: Mapping[PaymentKey, int]  # keys whose net is not zero
    republished: int  # copies of a message already read (same event_id): ignored

    @property
    def net_pence(self) -> int:
        return self.paid_pence + self.reversed_pence

    def fingerprint(self) -> str:
        """A short digest of the net payments: equal fingerprints, equal net payments."""
        digest = hashlib.sha256()
        for key in sorted(self.net):
            line = f"{key.contract_id}|{key.participant_id}|{key.milestone.value}|{self.net[key]}"
            digest.update(line.encode() + b"\n")
        return digest.hexdigest()[:16]


@dataclass
class Differences:
    """Every way the topic differs from the expectation (empty: they agree)."""

    amounts: list[str] = field(default_factory=list)  # net per key differs
    integrity: list[str] = field(default_factory=list)  # ids, reversals
    milestones: list[str] = field(default_factory=list)  # standing milestones differ
    rejections: list[str] = field(default_factory=list)  # counts by reason differ
    count: Counter[str] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(self.count)

    def add(self, kind: str, message: str) -> None:
        self.count[kind] += 1
        target = {
            "amount": self.amounts,
            "milestone": self.milestones,
            "rejections": self.rejections,
        }.get(kind, self.integrity)
        if len(target) < MAX_LISTED:
            target.append(message)

    def lines(self) -> list[str]:
        out: list[str] = []
        for kind, listed in (
            ("amount", self.amounts),
            ("integrity", self.integrity),
            ("milestone", self.milestones),
            ("rejections", self.rejections),
        ):
            total = sum(n for k, n in self.count.items() if _group(k) == kind)
            if not total:
                continue
            out.append(f"{total} {kind} difference(s):")
            out.extend(f"  {line}" for line in listed)
            if total > len(listed):
                out.append(f"  ... and {total - len(listed)} more")
        return out


def _group(kind: str) -> str:
    return kind if kind in ("amount", "milestone", "rejections") else "integrity"


def _key(payment: ProviderPaymentIssued) -> PaymentKey:
    return PaymentKey(payment.contract_id, payment.participant_id, payment.milestone)


def figures(payments: Iterable[ProviderPaymentIssued]) -> tuple[PaymentFigures, Differences]:
    """Net the payments per key and check the topic's integrity."""
    problems = Differences()
    seen_events: set[object] = set()
    by_id: dict[str, ProviderPaymentIssued] = {}
    republished = 0
    for payment in payments:
        if payment.event_id in seen_events:
            republished += 1
            continue
        seen_events.add(payment.event_id)
        first = by_id.get(payment.payment_id)
        if first is not None:
            problems.add(
                "duplicate_payment_id",
                f"payment_id {payment.payment_id} used twice (events {first.event_id} and "
                f"{payment.event_id}, {first.amount_pence} and {payment.amount_pence} pence)",
            )
            continue
        by_id[payment.payment_id] = payment
    net: defaultdict[PaymentKey, int] = defaultdict(int)
    reversed_once: Counter[str] = Counter()
    paid = paid_pence = reversals = reversed_pence = 0
    for payment in by_id.values():
        net[_key(payment)] += payment.amount_pence
        if payment.reverses is None:
            paid += 1
            paid_pence += payment.amount_pence
            continue
        reversals += 1
        reversed_pence += payment.amount_pence
        original = by_id.get(payment.reverses)
        if original is None:
            problems.add(
                "reversal_of_nothing",
                f"reversal {payment.payment_id} names {payment.reverses}, not on the topic",
            )
            continue
        reversed_once[payment.reverses] += 1
        if reversed_once[payment.reverses] == 2:
            problems.add("reversed_twice", f"payment {payment.reverses} is reversed twice")
        if original.reverses is not None:
            problems.add(
                "reversal_of_reversal", f"reversal {payment.payment_id} reverses a reversal"
            )
        if _key(original) != _key(payment) or original.amount_pence != -payment.amount_pence:
            problems.add(
                "reversal_mismatch",
                f"reversal {payment.payment_id} ({payment.amount_pence} pence) does not mirror "
                f"{original.payment_id} ({original.amount_pence} pence)",
            )
    result = PaymentFigures(
        payments=paid,
        paid_pence=paid_pence,
        reversals=reversals,
        reversed_pence=reversed_pence,
        net={k: v for k, v in net.items() if v},
        republished=republished,
    )
    return result, problems


def compare(
    expectation: Expectation,
    payments: Iterable[ProviderPaymentIssued],
    rejections: Mapping[str, int] | None = None,
    milestones: Mapping[tuple[str, str, MilestoneKind], int] | None = None,
) -> tuple[PaymentFigures, Differences]:
    """Figures of the payments topic and every difference from ``expectation``.

    ``rejections`` (reason -> count over every rejection topic) and ``milestones``
    ((contract, participant, milestone) -> reached minus revoked on the milestones
    topic), when given, are compared with the expectation's too: each standing
    milestone nets to 1, every other to 0.
    """
    got, problems = figures(payments)
    due = expectation.due
    for key in sorted(set(due) | set(got.net)):
        want, have = due.get(key, 0), got.net.get(key, 0)
        if want == have:
            continue
        standing = expectation.standing.get(key)
        why = (
            "no such milestone stands"
            if standing is None
            else f"stands since {standing.reached_on}"
            + (f", not payable: {standing.not_payable}" if standing.not_payable else "")
        )
        referral = expectation.referral_of.get(key.participant_id, "?")
        problems.add(
            "amount",
            f"{key.contract_id} {referral} ({key.participant_id[:12]}) {key.milestone.value}: "
            f"net {have} pence, expected {want} ({why})",
        )
    if milestones is not None:
        stands = expectation.milestones
        for raw in sorted(set(stands) | set(milestones)):
            mkey = PaymentKey(*raw)
            want, have = stands.get(mkey, 0), milestones.get(raw, 0)
            if want != have:
                referral = expectation.referral_of.get(mkey.participant_id, "?")
                problems.add(
                    "milestone",
                    f"{mkey.contract_id} {referral} ({mkey.participant_id[:12]}) "
                    f"{mkey.milestone.value}: reached - revoked = {have}, expected {want}",
                )
    if rejections is not None:
        for reason in sorted(set(rejections) | set(expectation.rejections)):
            want, have = expectation.rejections.get(reason, 0), rejections.get(reason, 0)
            if want != have:
                problems.add("rejections", f"{reason}: {have} rejections, expected {want}")
    return got, problems
