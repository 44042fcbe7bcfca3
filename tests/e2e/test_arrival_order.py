"""End to end: one history, two arrival orders, the same net payments (domain.md §10).

A small synthetic feed with many hard paths (corrections, stale re-sends, retractions,
late leavers and withdrawn job starts, LLW changes of the outcome job, claim_late, both
outcome kinds, events rejected by reason) is published to two pipelines of the real
services: in its natural order, and with the topics reversed (all evidence first, then
job starts and ends, then intake). Read back from the payments topic, payments minus
reversals per (contract, participant, milestone) are the same in both, and equal to what
the feed's own reading of the rule book says is due.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy.create_topics import delete_namespace_topics, ensure_topics
from deploy.databases import create_database, drop_databases
from schemas.topics import SERVICES
from tests.e2e.conftest import free_port
from tests.unit.test_feed_model import waiting_for_a_start
from tools.check import check_pipeline
from tools.feed import Expectation, Feed, PaymentFigures, arrange, expected, generate
from tools.feed.order import Order
from tools.feed.publish import publish_feed
from tools.feed.reference import write_reference
from tools.quiet import wait_until_quiet
from tools.services import ServiceProcesses
from tools.summary import rejection_totals

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PARTICIPANTS = 40
SEED = 20260
HARD_SHARE = 0.7  # most people on a hard path, so that a small feed covers them all
KEY = "e2e-order-key"
ORDERS: tuple[Order, ...] = ("natural", "reversed")


@dataclass
class Outcome:
    figures: PaymentFigures
    differences: list[str]
    rejections: dict[str, int]


@pytest.fixture(scope="module")
def feed() -> Feed:
    return generate(PARTICIPANTS, SEED, hard_share=HARD_SHARE)


@pytest.fixture(scope="module")
def expectation(feed: Feed) -> Expectation:
    return expected((item.as_sent() for item in feed.items), KEY)


@pytest.fixture(scope="module")
def outcomes(
    kafka_bootstrap: str,
    database_url: str,
    tmp_path_factory: Any,
    feed: Feed,
    expectation: Expectation,
) -> Iterator[dict[Order, Outcome]]:
    """Both orders through their own pipeline (namespace, database, four services)."""
    reference = write_reference(tmp_path_factory.mktemp("reference"))
    tag = uuid.uuid4().hex[:8]
    pipelines: dict[Order, tuple[str, str, ServiceProcesses]] = {}
    try:
        for order in ORDERS:
            namespace = f"e2e-order-{tag}-{order}."
            database = f"e2e_order_{tag}_{order}"
            url = asyncio.run(create_database(database_url, database))
            asyncio.run(ensure_topics(kafka_bootstrap, namespace))
            processes = ServiceProcesses(
                env={
                    "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                    "DATABASE_URL": url,
                    "TOPIC_NAMESPACE": namespace,
                    "PARTICIPANT_ID_KEY": KEY,
                    "OUTCOMES_DEV_MODE": "1",
                    "REFERENCE_DIR": str(reference),
                    "BATCH_WITHIN_SECONDS": "0.05",
                },
                state_dir=Path(tmp_path_factory.mktemp(f"services-{order}")),
                ports={service: free_port() for service in SERVICES},
            )
            pipelines[order] = (namespace, url, processes)
            processes.start()
        for _, _, processes in pipelines.values():
            processes.wait_ready(timeout=120)
        yield asyncio.run(_run_both(kafka_bootstrap, feed, expectation, pipelines))
    finally:
        for order, (namespace, _, processes) in pipelines.items():
            processes.stop()
            asyncio.run(drop_databases(database_url, f"e2e_order_{tag}_{order}"))
            asyncio.run(delete_namespace_topics(kafka_bootstrap, namespace))


async def _run_both(
    bootstrap: str,
    feed: Feed,
    expectation: Expectation,
    pipelines: dict[Order, tuple[str, str, ServiceProcesses]],
) -> dict[Order, Outcome]:
    await asyncio.gather(
        *(
            publish_feed(bootstrap, arrange(feed.items, order, SEED), namespace)
            for order, (namespace, _, _) in pipelines.items()
        )
    )
    await asyncio.gather(
        *(
            wait_until_quiet(bootstrap, url, namespace, give_up_after=240, interval=0.5)
            for namespace, url, _ in pipelines.values()
        )
    )
    results: dict[Order, Outcome] = {}
    for order, (namespace, _, _) in pipelines.items():
        check = await check_pipeline(bootstrap, namespace, expectation)
        rejections = dict(rejection_totals(check.summary))
        results[order] = Outcome(check.figures, check.differences.lines(), rejections)
    return results


def test_the_history_covers_the_hard_paths(expectation: Expectation, feed: Feed) -> None:
    types = {item.event.type for item in feed.items}
    assert "evidence_retraction" in types
    not_payable = {s.not_payable for s in expectation.standing.values()}
    assert "superseded" in not_payable
    assert "after_programme_end" in expectation.rejections
    # nothing waits for the hold time but what names a start that does not stand (v3 §4)
    assert expectation.unresolved == len(waiting_for_a_start(feed.items))
    assert expectation.net_pence > 0


def test_both_orders_pay_the_same_net_amounts(outcomes: dict[Order, Outcome]) -> None:
    natural, reversed_ = outcomes["natural"].figures, outcomes["reversed"].figures
    assert natural.net  # something was paid
    assert reversed_.net == natural.net
    assert reversed_.fingerprint() == natural.fingerprint()


def test_each_order_pays_what_the_rule_book_says(
    outcomes: dict[Order, Outcome], expectation: Expectation
) -> None:
    for order, outcome in outcomes.items():
        assert outcome.differences == [], order
        assert outcome.figures.net_pence == expectation.net_pence
        assert outcome.rejections == expectation.rejections
