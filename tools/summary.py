"""What is on the topics now: referrals, starts, placements, milestones, payments, rejections.

    python -m tools.summary [--namespace X] [--bootstrap HOST:PORT]
                            [--participants N --seed S [--start YYYY-MM-DD]]

Reads every topic of the registry from the beginning up to the end offsets captured when
it starts, with a throwaway consumer (no group, nothing committed). With
``--participants``/``--seed`` it also prints what that synthetic feed should give.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from deploy.local import LOCAL_KAFKA_BOOTSTRAP
from schemas.common import MilestoneKind
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.placement import PlacementConfirmed, PlacementEnded, PlacementWithdrawn
from schemas.provider import ReferralMade
from schemas.rejections import EventRejected
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import (
    ALL_TOPICS,
    MILESTONES,
    PARTICIPANTS,
    PAYMENTS,
    PLACEMENTS,
    PROVIDER_INTAKE,
    PROVIDER_REJECTIONS,
    REJECTIONS,
    TopicSpec,
    all_topics,
)
from services.common.kafka_admin import existing_partitions
from services.common.settings import client_options
from services.views.statements import format_pence as format_pence  # the one formatter
from tools import arguments
from tools.feed.expectation import FeedCounts
from tools.feed.world import DEFAULT_START

LOCAL_BOOTSTRAP = LOCAL_KAFKA_BOOTSTRAP
STALL_SECONDS = 10.0  # give up on partitions that make no progress for this long


@dataclass
class ContractPayments:
    payments: int = 0
    paid_pence: int = 0
    reversals: int = 0
    reversed_pence: int = 0  # negative or zero

    @property
    def net_pence(self) -> int:
        return self.paid_pence + self.reversed_pence


@dataclass
class Summary:
    messages: dict[str, int] = field(default_factory=dict)  # by topic name (with namespace)
    undecodable: dict[str, int] = field(default_factory=dict)
    missing_topics: list[str] = field(default_factory=list)
    referrals: int = 0
    starts: int = 0
    leavers: int = 0
    placements: int = 0
    placements_pay_llw: int = 0
    placements_below_minimum_wage: int = 0
    placements_ended: int = 0
    placements_withdrawn: int = 0
    milestones: dict[MilestoneKind, int] = field(default_factory=dict)  # reached - revoked
    milestones_revoked: dict[MilestoneKind, int] = field(default_factory=dict)
    payments: dict[str, ContractPayments] = field(default_factory=dict)
    not_paid: dict[str, int] = field(default_factory=dict)  # by reason
    rejections: dict[str, dict[str, int]] = field(default_factory=dict)  # topic -> reason
    payment_events: list[ProviderPaymentIssued] = field(default_factory=list)  # topic order
    # (contract, participant, milestone) -> reached minus revoked
    milestone_net: dict[tuple[str, str, MilestoneKind], int] = field(default_factory=dict)
    # (provider_id, placement_id) -> (pays_llw, below_minimum_wage) of confirmed placements
    # (a placement id is its provider's own, domain.md v3 §9)
    placement_flags: dict[tuple[str, str], tuple[bool, bool]] = field(
        default_factory=dict, repr=False
    )
    # (provider_id, referral_id) of the leavers on the topic, to net a displaced start's
    left: set[tuple[str, str]] = field(default_factory=set, repr=False)

    @property
    def payments_total_pence(self) -> int:
        return sum(p.net_pence for p in self.payments.values())


def _apply(summary: Summary, spec: TopicSpec, event: object) -> None:
    if spec is PROVIDER_INTAKE:
        summary.referrals += isinstance(event, ReferralMade)
    elif spec is PARTICIPANTS:
        summary.starts += isinstance(event, ParticipantStarted)
        if isinstance(event, ParticipantLeft):
            summary.leavers += 1
            summary.left.add((event.provider_id, event.referral_id))
        if isinstance(event, ParticipantDisplaced):
            # Counts for nothing any more (domain.md v3 §4): net of displaced starts.
            summary.starts -= 1
            displaced = (event.provider_id, event.referral_id)
            summary.leavers -= displaced in summary.left
            summary.left.discard(displaced)
    elif spec is PLACEMENTS:
        if isinstance(event, PlacementConfirmed):
            summary.placements += 1
            summary.placements_pay_llw += event.pays_llw
            summary.placements_below_minimum_wage += event.below_minimum_wage
            summary.placement_flags[(event.provider_id, event.placement_id)] = (
                event.pays_llw,
                event.below_minimum_wage,
            )
        elif isinstance(event, PlacementWithdrawn):
            # Counts for nothing any more (domain.md §5): net of withdrawn placements.
            summary.placements_withdrawn += 1
            summary.placements -= 1
            llw, below = summary.placement_flags.get(
                (event.provider_id, event.placement_id), (False, False)
            )
            summary.placements_pay_llw -= llw
            summary.placements_below_minimum_wage -= below
        summary.placements_ended += isinstance(event, PlacementEnded)
    elif spec is MILESTONES:
        if isinstance(event, MilestoneReached | MilestoneRevoked):
            key = (event.contract_id, event.participant_id, event.milestone)
            step = 1 if isinstance(event, MilestoneReached) else -1
            summary.milestone_net[key] = summary.milestone_net.get(key, 0) + step
        if isinstance(event, MilestoneReached):
            summary.milestones[event.milestone] = summary.milestones.get(event.milestone, 0) + 1
        elif isinstance(event, MilestoneRevoked):
            summary.milestones[event.milestone] = summary.milestones.get(event.milestone, 0) - 1
            summary.milestones_revoked[event.milestone] = (
                summary.milestones_revoked.get(event.milestone, 0) + 1
            )
    elif spec is PAYMENTS:
        if isinstance(event, ProviderPaymentIssued):
            summary.payment_events.append(event)
            totals = summary.payments.setdefault(event.contract_id, ContractPayments())
            if event.reverses is None:
                totals.payments += 1
                totals.paid_pence += event.amount_pence
            else:
                totals.reversals += 1
                totals.reversed_pence += event.amount_pence
        elif isinstance(event, MilestoneNotPaid):
            reason = event.reason.value
            summary.not_paid[reason] = summary.not_paid.get(reason, 0) + 1
    elif (spec in REJECTIONS.values() or spec is PROVIDER_REJECTIONS) and isinstance(
        event, EventRejected
    ):
        by_reason = summary.rejections.setdefault(spec.name, {})
        by_reason[event.reason.value] = by_reason.get(event.reason.value, 0) + 1


async def topic_partitions(bootstrap: str, names: Iterable[str]) -> dict[str, list[int]]:
    """Partition ids of each of ``names`` that exists.

    One metadata request for exactly these topics (a shared broker may hold thousands),
    which never auto-creates one.
    """
    return await existing_partitions(client_options(bootstrap), names)


async def read_summary(
    bootstrap: str,
    namespace: str = "",
    topics: Iterable[TopicSpec] = ALL_TOPICS,
) -> Summary:
    """Read ``topics`` (default: all of the registry) to their end offsets as of now."""
    specs = all_topics(namespace, specs=topics)
    summary = Summary(messages=dict.fromkeys(specs, 0))
    existing = await topic_partitions(bootstrap, specs)
    partitions: list[TopicPartition] = []
    for name in specs:
        if name in existing:
            partitions.extend(TopicPartition(name, p) for p in existing[name])
        else:
            summary.missing_topics.append(name)
    if not partitions:
        return summary
    consumer = AIOKafkaConsumer(
        **client_options(bootstrap),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        request_timeout_ms=30_000,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        loop = asyncio.get_running_loop()
        last_progress = loop.time()
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                spec = specs[tp.topic]
                for record in records:
                    if record.offset >= ends[tp]:
                        break
                    summary.messages[tp.topic] += 1
                    try:
                        if record.value is None:
                            raise ValueError("no value")
                        event = spec.adapter.validate_json(record.value)
                    except (ValidationError, ValueError):
                        summary.undecodable[tp.topic] = summary.undecodable.get(tp.topic, 0) + 1
                        continue
                    _apply(summary, spec, event)
            done = {tp for tp in pending if await consumer.position(tp) >= ends[tp]}
            if batches or done:
                last_progress = loop.time()
            pending -= done
            if pending and loop.time() - last_progress > STALL_SECONDS:
                raise TimeoutError(
                    "no progress reading "
                    + ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(pending))
                )
    finally:
        await consumer.stop()
    return summary


# ---------------------------------------------------------------------------- formatting


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A title and an aligned table: first column left, the others right."""
    cells = [[str(c) for c in header]] + [
        [f"{c:,}" if isinstance(c, int) else str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title]
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])]
        parts += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join(parts).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    if not rows:
        lines.append("  (none)")
    return lines


def format_summary(s: Summary, expected: FeedCounts | None = None) -> str:
    """Aligned tables of a summary; with ``expected``, a column of what a feed should give."""
    out: list[str] = []
    exp = expected

    def col(get: Callable[[FeedCounts], int]) -> list[object]:
        return [] if exp is None else [get(exp)]

    header = ["", "count"] + ([] if exp is None else ["expected"])
    out += _table(
        "Participants and placements",
        header,
        [
            ["referrals", s.referrals, *col(lambda e: e.referrals)],
            ["starts", s.starts, *col(lambda e: e.starts)],
            ["leavers", s.leavers, *col(lambda e: e.leavers)],
            ["placements (net of withdrawn)", s.placements, *col(lambda e: e.job_starts)],
            ["  withdrawn", s.placements_withdrawn, *([] if exp is None else ["-"])],
            ["  paying the LLW", s.placements_pay_llw, *col(lambda e: e.pays_llw)],
            [
                "  below minimum wage",
                s.placements_below_minimum_wage,
                *col(lambda e: e.below_minimum_wage),
            ],
            ["placements ended", s.placements_ended, *col(lambda e: e.job_ends)],
        ],
    )
    out.append("")
    kinds = [k for k in MilestoneKind if k in s.milestones or (exp and exp.milestones.get(k))]
    out += _table(
        "Milestones (reached - revoked)",
        ["milestone", "net", "revoked"] + ([] if exp is None else ["expected"]),
        [
            [
                k.value,
                s.milestones.get(k, 0),
                s.milestones_revoked.get(k, 0),
                *([] if exp is None else [exp.milestones.get(k, 0)]),
            ]
            for k in kinds
        ],
    )
    out.append("")
    contracts = sorted(set(s.payments) | set(exp.payments_by_contract if exp else ()))
    pay_rows: list[list[object]] = []
    for c in contracts:
        p = s.payments.get(c, ContractPayments())
        row: list[object] = [
            c,
            p.payments,
            format_pence(p.paid_pence),
            p.reversals,
            format_pence(p.reversed_pence),
            format_pence(p.net_pence),
        ]
        if exp is not None:
            e = exp.payments_by_contract.get(c)
            row += [e.count if e else 0, format_pence(e.total_pence if e else 0)]
        pay_rows.append(row)
    if contracts:
        total = ContractPayments(
            payments=sum(p.payments for p in s.payments.values()),
            paid_pence=sum(p.paid_pence for p in s.payments.values()),
            reversals=sum(p.reversals for p in s.payments.values()),
            reversed_pence=sum(p.reversed_pence for p in s.payments.values()),
        )
        row = [
            "total",
            total.payments,
            format_pence(total.paid_pence),
            total.reversals,
            format_pence(total.reversed_pence),
            format_pence(total.net_pence),
        ]
        if exp is not None:
            row += [
                sum(e.count for e in exp.payments_by_contract.values()),
                format_pence(sum(e.total_pence for e in exp.payments_by_contract.values())),
            ]
        pay_rows.append(row)
    out += _table(
        "Provider payments by contract",
        ["contract", "payments", "paid", "reversals", "reversed", "net"]
        + ([] if exp is None else ["exp. owed", "exp. net"]),
        pay_rows,
    )
    out.append("")
    out += _table("Milestones not paid", ["reason", "count"], sorted(s.not_paid.items()))
    out.append("")
    out += _table(
        "Rejections",
        ["topic", "reason", "count"],
        [
            [topic, reason, n]
            for topic, by_reason in sorted(s.rejections.items())
            for reason, n in sorted(by_reason.items())
        ],
    )
    out.append("")
    topic_rows: list[list[object]] = [
        [name, n, s.undecodable.get(name, 0)] for name, n in s.messages.items()
    ]
    out += _table("Messages by topic", ["topic", "messages", "undecodable"], topic_rows)
    if s.missing_topics:
        out.append("")
        out.append("Missing topics: " + ", ".join(s.missing_topics))
    return "\n".join(out)


def rejection_totals(s: Summary) -> Mapping[str, int]:
    """Rejections by reason over all rejection topics."""
    totals: Counter[str] = Counter()
    for by_reason in s.rejections.values():
        totals.update(by_reason)
    return dict(totals)


# -------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.summary", description="Summarise what is on the topics now."
    )
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_BOOTSTRAP),
        help="Kafka bootstrap servers (default $KAFKA_BOOTSTRAP_SERVERS or %(default)s)",
    )
    parser.add_argument(
        "--namespace", type=arguments.topic_namespace, default="", help="prefix of every topic name"
    )
    parser.add_argument(
        "--participants",
        type=arguments.participant_count,
        help="compare with the feed of this size ...",
    )
    parser.add_argument("--seed", type=arguments.seed, help="... and this seed")
    parser.add_argument(
        "--start", type=arguments.iso_date, default=DEFAULT_START, help="... and start"
    )
    args = parser.parse_args(argv)
    if (args.participants is None) != (args.seed is None):
        parser.error("argument --participants: give --participants and --seed together")
    expected: FeedCounts | None = None
    if args.participants is not None:
        from tools.feed.expectation import expected_counts
        from tools.feed.generate import generate_feed

        try:
            expected = expected_counts(generate_feed(args.participants, args.seed, args.start))
        except ValueError as exc:
            parser.error(f"argument --start: {exc}")
    try:
        summary = asyncio.run(read_summary(args.bootstrap, args.namespace))
    except (KafkaError, TimeoutError) as exc:
        print(f"tools.summary: reading {args.bootstrap} failed: {exc!r}", file=sys.stderr)
        return 1
    print(format_summary(summary, expected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
