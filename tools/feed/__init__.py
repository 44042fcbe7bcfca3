"""Synthetic provider feed: a pure generator and a Kafka publisher.

python -m tools.feed --participants 3000 --seed 42 [--namespace X] [--dry-run]
"""

from tools.feed.expectation import FeedCounts, expected_counts
from tools.feed.generate import FeedItem, generate_feed

__all__ = ["FeedCounts", "FeedItem", "expected_counts", "generate_feed"]
