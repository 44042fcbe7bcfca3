"""Generate a synthetic provider feed and publish it (or print it).

python -m tools.feed --participants 3000 --seed 42 [--namespace X] [--bootstrap HOST:PORT]
                     [--order natural|reversed|shuffled] [--hard-share 0.3]
python -m tools.feed --participants 100 --seed 1 --dry-run            # counts only
python -m tools.feed --participants 100 --seed 1 --dry-run --jsonl    # JSON lines on stdout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence

from aiokafka.errors import KafkaError

from deploy.local import LOCAL_KAFKA_BOOTSTRAP
from tools import arguments
from tools.feed.expectation import FeedCounts, expected_counts
from tools.feed.generate import FeedItem, generate_feed
from tools.feed.order import ORDERS, arrange, topic_name
from tools.feed.world import DEFAULT_START

LOCAL_BOOTSTRAP = LOCAL_KAFKA_BOOTSTRAP


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.feed",
        description="Generate a deterministic synthetic provider feed and publish it to Kafka.",
    )
    parser.add_argument(
        "--participants",
        type=arguments.participant_count,
        required=True,
        help="number of synthetic people",
    )
    parser.add_argument("--seed", type=arguments.seed, required=True, help="random seed (>= 0)")
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="natural",
        help="publication order: natural, reversed (evidence, placements, intake) or shuffled",
    )
    parser.add_argument(
        "--hard-share",
        type=arguments.share,
        default=0.3,
        help="share of people on a hard path of the rule book, 0-1 (default %(default)s)",
    )
    parser.add_argument(
        "--start",
        type=arguments.iso_date,
        default=DEFAULT_START,
        help=f"earliest referral date (default {DEFAULT_START.isoformat()})",
    )
    parser.add_argument(
        "--namespace", type=arguments.topic_namespace, default="", help="prefix of every topic name"
    )
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_BOOTSTRAP),
        help="Kafka bootstrap servers (default $KAFKA_BOOTSTRAP_SERVERS or %(default)s)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="do not publish: print the feed's counts"
    )
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="with --dry-run: write the messages as JSON lines on stdout (counts on stderr)",
    )
    return parser


def format_counts(counts: FeedCounts) -> str:
    lines = [f"{'messages':<28}{counts.messages:>8,}"]
    for name in (
        "referrals",
        "starts",
        "leavers",
        "job_starts",
        "self_employed_job_starts",
        "job_ends",
        "evidence",
        "below_minimum_wage",
        "pays_llw",
    ):
        lines.append(f"{name:<28}{getattr(counts, name):>8,}")
    lines.append("referrals / starts by contract")
    for contract, n in counts.referrals_by_contract.items():
        lines.append(f"  {contract:<26}{n:>8,}{counts.starts_by_contract[contract]:>8,}")
    lines.append("expected milestones")
    for kind, n in counts.milestones.items():
        lines.append(f"  {kind.value:<26}{n:>8,}")
    return "\n".join(lines)


def _jsonl(items: Sequence[FeedItem], namespace: str) -> None:
    out = sys.stdout
    for item in items:
        out.write(
            json.dumps(
                {
                    "topic": topic_name(item, namespace),
                    "key": item.key,
                    "value": json.loads(item.event.model_dump_json()),
                },
                separators=(",", ":"),
            )
        )
        out.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jsonl and not args.dry_run:
        parser.error("argument --jsonl: only together with --dry-run")
    try:
        natural = generate_feed(args.participants, args.seed, args.start, args.hard_share)
    except ValueError as exc:
        parser.error(f"argument --start: {exc}")
    counts = expected_counts(natural)
    items = arrange(natural, args.order, args.seed)
    if args.dry_run:
        if args.jsonl:
            _jsonl(items, args.namespace)
            print(format_counts(counts), file=sys.stderr)
        else:
            print(format_counts(counts))
        return 0

    from tools.feed.publish import publish_feed

    # Retries on brand-new topics (NotLeaderForPartition) are normal; failures still raise.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    try:
        sent = asyncio.run(publish_feed(args.bootstrap, items, args.namespace))
    except KafkaError as exc:
        print(f"tools.feed: publishing to {args.bootstrap} failed: {exc!r}", file=sys.stderr)
        return 1
    print(format_counts(counts))
    where = f"namespace {args.namespace!r}" if args.namespace else "no namespace"
    print(f"published {sent:,} messages to {args.bootstrap} ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
