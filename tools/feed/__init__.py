"""Synthetic provider feed: a pure generator and a Kafka publisher.

python -m tools.feed --participants 3000 --seed 42 [--namespace X] [--dry-run]
"""

from tools.feed.generate import FeedCounts, FeedItem, expected_counts, generate_feed

__all__ = ["FeedCounts", "FeedItem", "expected_counts", "generate_feed"]
