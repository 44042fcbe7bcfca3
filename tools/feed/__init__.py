"""Synthetic provider feed, its independent expectation, and the payment-by-payment check.

Public API (used by ``make run``, the e2e order test, and ``make chaos`` / ``make fuzz``):

- ``generate(participants, seed) -> Feed``: deterministic provider events, natural order.
- ``arrange(feed.items, order, seed) -> list[FeedItem]``: ``natural``, ``reversed``
  (evidence, then placements, then intake) or ``shuffled`` (seeded interleaving).
- ``topic_name(item, namespace) -> str``: the topic an item is published to.
- ``expected(events, participant_key) -> Expectation``: per (contract, participant,
  milestone) the standing milestone and net amount due, and rejections by reason,
  from the feed's own reading of domain.md (no ``services`` import).
- ``compare(expectation, payments, rejections) -> (PaymentFigures, Differences)``.
- ``publish_feed(bootstrap, items, namespace)`` (tools.feed.publish): send items in order.
- ``check_pipeline(bootstrap, namespace, expectation) -> Check`` (tools.check): read
  the topics once the pipeline is quiet and compare payments, standing milestones and
  rejections; ``format_check`` prints the figures.

python -m tools.feed --participants 3000 --seed 42 [--namespace X] [--dry-run]
"""

from tools.feed.compare import Differences, PaymentFigures, compare, figures
from tools.feed.expectation import FeedCounts, expected_counts
from tools.feed.generate import Feed, FeedItem, generate, generate_feed
from tools.feed.model import DEVELOPMENT_KEY, Expectation, PaymentKey, Standing, expected
from tools.feed.order import ORDERS, Order, arrange, topic_name

__all__ = [
    "DEVELOPMENT_KEY",
    "ORDERS",
    "Differences",
    "Expectation",
    "Feed",
    "FeedCounts",
    "FeedItem",
    "Order",
    "PaymentFigures",
    "PaymentKey",
    "Standing",
    "arrange",
    "compare",
    "expected",
    "expected_counts",
    "figures",
    "generate",
    "generate_feed",
    "topic_name",
]
