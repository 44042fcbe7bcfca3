"""The simulator against an independent reading of the rule book (tools/feed/model.py).

The feed's expectation shares no code with the services. Its hard-path history (corrections,
stale versions, retractions, late leavers and withdrawn job starts, LLW changes of the
outcome job, claim_late, superseded, group prices) run through the pure pipeline in three
arrival orders must owe exactly what the feed says, payment key by payment key, with the
same rejections by reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from services.common.codec import encode
from services.common.reference import load_contracts
from services.simulation import Arrival, simulate
from tools.feed import DEVELOPMENT_KEY, arrange, expected, generate
from tools.feed.generate import FeedItem
from tools.feed.order import Order
from tools.feed.reference import write_reference


def arrival(item: FeedItem) -> Arrival:
    """A feed item as the simulator takes it: on its sender's topic when it has one."""
    if item.sender is None:
        return item.event
    return (item.topic, encode(item.event), item.sender)


@pytest.mark.parametrize(
    ("order", "batch_size"), [("natural", 1), ("reversed", 25), ("shuffled", 5)]
)
def test_the_pipeline_owes_what_the_feed_expects_in_any_order(
    tmp_path: Path, order: Order, batch_size: int
) -> None:
    feed = generate(60, 20260, hard_share=0.7)
    expectation = expected((item.as_sent() for item in feed.items), DEVELOPMENT_KEY)
    contracts = load_contracts(write_reference(tmp_path) / "contracts.json")

    result = simulate(
        [arrival(item) for item in arrange(feed.items, order, seed=3)],
        contracts=contracts,
        participant_key=DEVELOPMENT_KEY.encode(),
        batch_size=batch_size,
        expire_holds=False,  # within the hold time, as make run: the feed's unresolved wait
    )

    owed = {
        (k.contract_id, k.participant_id, k.milestone): s.amount_pence
        for k, s in expectation.standing.items()
        if s.amount_pence
    }
    assert result.net_payments() == owed
    assert Counter(str(r.reason) for r in result.rejections) == Counter(expectation.rejections)
