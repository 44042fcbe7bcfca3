"""Latency under a steady load: provider events at a fixed rate, time to the payment.

    python -m bench.latency [--seconds 300] [--rate 200] [--instances 1] [--seed 42]
    make bench-latency BENCH_ARGS="--seconds 30"

The services run (``instances`` of each, fresh database and namespace). A synthetic feed
sized to last ``--seconds`` at ``--rate`` provider events/s is published in natural
order at that rate (ticks of 50 ms), each event stamped with a fresh ``produced_at``.

A payment's latency is from the **completing event** to the payment's record on
``payments.provider-payments.v1`` (its broker timestamp, set when the relay sent it):
the completing event is the latest provider event, sent before the payment, among
those the payment rests on: its lineage (the evidence ids and the placement id; an
event counts for every such id it names) and the referral and programme start of the
placement's referral (a job start that arrives before its programme start waits for it
in placement's hold, and is paid when the programme start comes). Payments whose
lineage names nothing this run sent (none in a normal feed) are counted apart.
Reversals are left out; a payment the relay sent more than once (at least once
delivery) counts at its first record.

Prints the count, p50/p95/p99 and max in seconds; the figures go to ``.state/bench/``,
with the slowest payments and their lineage's events (what to look at for the tail).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from bench.pipeline import RESULTS, Target, fresh_target, local_servers, running_services
from schemas.payments import PAYMENT_EVENT, ProviderPaymentIssued
from schemas.provider import JobStarted, ProgrammeStarted, ReferralMade
from schemas.topics import PAYMENTS, topic_name
from services.common.relay import make_producer
from tools import arguments
from tools.feed.generate import FeedItem, generate
from tools.feed.order import topic_name as feed_topic
from tools.quiet import wait_until_quiet

EVENTS_PER_PARTICIPANT = 8.4
"""About what the synthetic feed generates (168,110 events for 20,000 people)."""
TICK_SECONDS = 0.05
LINEAGE_FIELDS = ("evidence_id", "placement_id")
PERSON_EVENTS = (ReferralMade, ProgrammeStarted)
"""What a placement's referral needs before its job start counts (intake)."""


@dataclass(frozen=True)
class Paid:
    at: float
    payment: ProviderPaymentIssued


class SentLog:
    """When each lineage id was named by a sent provider event (sorted wall-clock times)."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.kinds: dict[tuple[str, float], str] = {}
        self.referral_of: dict[str, str] = {}
        """placement id -> its job start's referral id"""
        self.began = time.time()

    def sent(self, item: FeedItem, at: float) -> None:
        event = item.event
        names = [f"{n}:{v}" for n in LINEAGE_FIELDS if (v := getattr(event, n, None)) is not None]
        if isinstance(event, JobStarted):
            self.referral_of[event.placement_id] = event.referral_id
        if isinstance(event, PERSON_EVENTS):
            names.append(f"referral_id:{event.referral_id}")
        for name in names:
            self.times[name].append(at)
            self.kinds[(name, at)] = type(event).__name__

    def rests_on(self, payment: ProviderPaymentIssued) -> list[str]:
        lineage = payment.lineage
        keys = [f"evidence_id:{e}" for e in lineage.evidence_ids]
        if lineage.placement_id is not None:
            keys.append(f"placement_id:{lineage.placement_id}")
            referral = self.referral_of.get(lineage.placement_id)
            if referral is not None:
                keys.append(f"referral_id:{referral}")
        return keys

    def explain(self, paid: Paid, latency: float) -> dict[str, object]:
        """What a slow payment was: its milestone and its lineage's events, in seconds
        since the first event was sent."""
        keys = self.rests_on(paid.payment)
        return {
            "latency": round(latency, 3),
            "paid_at": round(paid.at - self.began, 3),
            "participant": paid.payment.participant_id,
            "milestone": str(paid.payment.milestone),
            "lineage": {
                key: [
                    (self.kinds.get((key, t), "?"), round(t - self.began, 3))
                    for t in self.times.get(key, [])
                ]
                for key in keys
            },
        }

    def completing(self, payment: ProviderPaymentIssued, before: float) -> float | None:
        """The send time of the latest event among the payment's lineage, before ``before``."""
        keys = self.rests_on(payment)
        latest: float | None = None
        for key in keys:
            times = self.times.get(key, [])
            i = bisect.bisect_right(times, before)
            if i:
                latest = times[i - 1] if latest is None else max(latest, times[i - 1])
        return latest


async def publish_steadily(
    target: Target, items: list[FeedItem], rate: float, log: SentLog
) -> None:
    producer = make_producer(target.bootstrap)
    await producer.start()
    per_tick = max(1, round(rate * TICK_SECONDS))
    began = time.monotonic()
    try:
        for n, begin in enumerate(range(0, len(items), per_tick)):
            due = began + n * per_tick / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            futures = []
            for item in items[begin : begin + per_tick]:
                now = time.time()
                event = item.event.model_copy(update={"produced_at": datetime.now(UTC)})
                log.sent(item, now)
                futures.append(
                    await producer.send(
                        feed_topic(item, target.namespace),
                        value=event.model_dump_json().encode(),
                        key=item.key.encode(),
                    )
                )
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def collect_payments(target: Target, into: list[Paid], stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        topic_name(PAYMENTS, target.namespace),
        bootstrap_servers=target.bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    event = PAYMENT_EVENT.validate_json(record.value or b"")
                    if isinstance(event, ProviderPaymentIssued) and event.reverses is None:
                        into.append(Paid(record.timestamp / 1000, event))
    finally:
        await consumer.stop()


SLOWEST = 5


async def measure(
    target: Target, items: list[FeedItem], rate: float
) -> tuple[list[float], int, int, list[dict[str, object]]]:
    log = SentLog()
    paid: list[Paid] = []
    stop = asyncio.Event()
    collector = asyncio.create_task(collect_payments(target, paid, stop))
    await publish_steadily(target, items, rate, log)
    await wait_until_quiet(target.bootstrap, target.database_url, target.namespace)
    await asyncio.sleep(1.0)  # the last payments' records reach the collector
    stop.set()
    await collector
    latencies: list[float] = []
    measured: list[tuple[float, Paid]] = []
    unknown = 0
    first: dict[str, Paid] = {}
    for p in paid:  # a payment re-sent by the relay (at least once) counts at its first
        first.setdefault(p.payment.payment_id, p)
    for p in first.values():
        completing = log.completing(p.payment, p.at)
        if completing is None:
            unknown += 1
        else:
            latencies.append(p.at - completing)
            measured.append((p.at - completing, p))
    measured.sort(key=lambda m: m[0], reverse=True)
    slowest = [log.explain(p, latency) for latency, p in measured[:SLOWEST]]
    return latencies, unknown, len(paid) - len(first), slowest


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--seconds", type=float, default=300.0, help="default 300; 30 quick")
    parser.add_argument("--rate", type=float, default=200.0, help="provider events/s")
    parser.add_argument("--instances", type=int, choices=[1, 2, 3, 4], default=1)
    parser.add_argument("--seed", type=arguments.seed, default=42)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    participants = max(20, round(args.rate * args.seconds / EVENTS_PER_PARTICIPANT))
    items = list(generate(participants, args.seed).items)
    with local_servers() as servers:
        target = fresh_target(*servers, "latency")
        with running_services(target, args.instances):
            print(
                f"bench-latency: {len(items):,} events of {participants:,} participants at"
                f" {args.rate:.0f}/s (~{len(items) / args.rate:.0f}s),"
                f" {args.instances} instance(s) per service",
                flush=True,
            )
            latencies, unknown, resent, slowest = asyncio.run(measure(target, items, args.rate))
    if not latencies:
        print("bench-latency: no payments measured", file=sys.stderr)
        return 1
    figures = {
        "events": len(items),
        "rate": args.rate,
        "instances": args.instances,
        "payments": len(latencies),
        "payments_without_lineage_sent": unknown,
        "records_of_payments_sent_again": resent,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "mean": statistics.fmean(latencies),
        "slowest": slowest,
    }
    print(
        f"payments {len(latencies)} (+{unknown} without a sent lineage; {resent} records"
        " of payments already on the topic):"
        f" p50 {figures['p50']:.3f}s  p95 {figures['p95']:.3f}s  p99 {figures['p99']:.3f}s"
        f"  max {figures['max']:.3f}s"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"latency-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(figures, indent=1) + "\n")
    print(f"figures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
