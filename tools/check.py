"""Check a pipeline's topics against a feed's expectation (``make run``, e2e, chaos).

    check = await check_pipeline(bootstrap, namespace, expected(events, key))
    print(format_check("natural", check, expectation)); ok = not check.differences

Reads every topic of the registry (payments, milestones, every rejection topic) to its
end offsets as of now, so call it once the pipeline is quiet (tools.quiet).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.topics import ALL_TOPICS, TopicSpec
from services.views.statements import format_pence
from tools.feed.compare import Differences, PaymentFigures, compare
from tools.feed.model import Expectation
from tools.summary import Summary, read_summary, rejection_totals


@dataclass(frozen=True)
class Check:
    summary: Summary
    figures: PaymentFigures
    differences: Differences


def check_summary(summary: Summary, expectation: Expectation) -> Check:
    """Payments, standing milestones and rejections of ``summary`` against ``expectation``."""
    figures, differences = compare(
        expectation, summary.payment_events, rejection_totals(summary), summary.milestone_net
    )
    if not summary.payment_events and expectation.due:
        differences.add("no_payments", "no payments were produced")
    for topic, n in summary.undecodable.items():
        differences.add("undecodable", f"{n} undecodable messages on {topic}")
    for topic in summary.missing_topics:
        differences.add("missing_topic", f"topic {topic} is missing")
    return Check(summary, figures, differences)


async def check_pipeline(
    bootstrap: str,
    namespace: str,
    expectation: Expectation,
    topics: Iterable[TopicSpec] = ALL_TOPICS,
) -> Check:
    """Read the topics under ``namespace`` and check them against ``expectation``."""
    return check_summary(await read_summary(bootstrap, namespace, topics), expectation)


def format_check(order: str, check: Check, expectation: Expectation) -> str:
    """The payment figures next to the expectation's, and the count of differences."""
    got, problems = check.figures, check.differences
    counts = ", ".join(f"{k} {n}" for k, n in sorted(problems.count.items()))
    lines = [
        f"Payments checked one by one (order {order})",
        f"  payments issued      {got.payments:>8,}  {format_pence(got.paid_pence):>16}",
        f"  reversals            {got.reversals:>8,}  {format_pence(got.reversed_pence):>16}",
        f"  net (keys owed)      {len(got.net):>8,}  {format_pence(got.net_pence):>16}",
        f"  expected net         {len(expectation.due):>8,}"
        f"  {format_pence(expectation.net_pence):>16}",
        f"  re-published copies  {got.republished:>8,}",
        f"  net fingerprint      {got.fingerprint()}",
        f"  differences          {sum(problems.count.values()):>8,}"
        + (f"  ({counts})" if counts else ""),
    ]
    return "\n".join(lines)
