"""Business counters per committed batch and the consumer-lag arithmetic."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from prometheus_client import REGISTRY
from pydantic import BaseModel

from schemas.common import MilestoneKind, RejectionReason
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.rejections import EventRejected
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import MILESTONES, PAYMENTS, REJECTIONS
from services.common import observe
from services.common.messages import Outgoing

E = TypeVar("E", bound=BaseModel)


def partial(model: type[E], **fields: Any) -> E:
    """An event with only the fields the observer reads (validation skipped)."""
    return model.model_construct(**fields)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def payment(contract: str, pence: int, reverses: str | None = None) -> Outgoing:
    event = partial(
        ProviderPaymentIssued, contract_id=contract, amount_pence=pence, reverses=reverses
    )
    return Outgoing(PAYMENTS, "p", event)


def test_payments_and_pence_are_counted_by_contract_and_kind() -> None:
    service = "obs-test-payments"
    before = value("outcomes_payments_pence_total", service=service, contract="c1", kind="payment")

    observe.batch_committed(
        service,
        [payment("c1", 50_000), payment("c1", 20_000), payment("c1", -20_000, reverses="x")],
    )

    labels = {"service": service, "contract": "c1"}
    assert value("outcomes_payments_total", **labels, kind="payment") == 2
    assert value("outcomes_payments_total", **labels, kind="reversal") == 1
    assert value("outcomes_payments_pence_total", **labels, kind="payment") - before == 70_000
    assert value("outcomes_payments_pence_total", **labels, kind="reversal") == 20_000


def test_milestones_are_counted_by_contract_kind_and_change() -> None:
    service = "obs-test-sustainment"
    reached = partial(MilestoneReached, contract_id="c2", milestone=MilestoneKind.SUSTAINED_13W)
    revoked = partial(MilestoneRevoked, contract_id="c2", milestone=MilestoneKind.SUSTAINED_13W)
    not_paid = partial(MilestoneNotPaid, contract_id="c2", reason=RejectionReason.SUPERSEDED)

    observe.batch_committed(
        service,
        [
            Outgoing(MILESTONES, "k", reached),
            Outgoing(MILESTONES, "k", reached),
            Outgoing(MILESTONES, "k", revoked),
            Outgoing(PAYMENTS, "k", not_paid),
        ],
    )

    labels = {"service": service, "contract": "c2", "kind": "sustained_13w"}
    assert value("outcomes_milestones_total", **labels, change="reached") == 2
    assert value("outcomes_milestones_total", **labels, change="revoked") == 1
    not_paid_labels = {"service": service, "contract": "c2", "reason": "superseded"}
    assert value("outcomes_milestones_not_paid_total", **not_paid_labels) == 1


def test_a_rejection_is_logged_with_its_position_and_never_its_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rejected = partial(
        EventRejected,
        reason=RejectionReason.INVALID_SCHEMA,
        message="nino AB123456C is wrong",
        source_topic="provider.intake.v1",
        source_partition=3,
        source_offset=42,
        source_event_id="e-1",
        original_prefix_b64="c2VjcmV0",
    )
    with caplog.at_level(logging.INFO, logger=observe.__name__):
        observe.batch_committed("intake", [Outgoing(REJECTIONS["intake"], "k", rejected)])

    [entry] = caplog.records
    assert (entry.__dict__["topic"], entry.__dict__["partition"], entry.__dict__["offset"]) == (
        "provider.intake.v1",
        3,
        42,
    )
    assert entry.__dict__["event_id"] == "e-1"
    assert "AB123456C" not in entry.getMessage()
    assert "c2VjcmV0" not in entry.getMessage()


@dataclass(frozen=True, order=True)
class TP:
    topic: str
    partition: int


def test_lag_is_highwater_minus_committed_summed_per_topic() -> None:
    a0, a1, b0 = TP("ns.a", 0), TP("ns.a", 1), TP("ns.b", 0)

    lag = observe.consumer_lag(
        [a0, a1, b0],
        highwaters={a0: 100, a1: 30, b0: 7},
        committed={a0: 90, a1: None, b0: 7},
        earliest={a1: 10},
        namespace="ns.",
    )

    assert lag == {"a": 10 + 20, "b": 0}


def test_lag_of_a_partition_with_unknown_highwater_is_zero_not_negative() -> None:
    tp = TP("a", 0)

    assert observe.consumer_lag([tp], {tp: None}, {tp: 5}, {}) == {"a": 0}
    assert observe.consumer_lag([tp], {tp: 3}, {tp: 5}, {}) == {"a": 0}


def test_payments_of_every_contract_are_exported_from_the_start() -> None:
    # Other tests count payments of service "payments" in this process: assert the series
    # exist (presence), not their values.
    observe.service_started("payments", ["milestones"])

    for contract in ("whp-central", "pioneer-central"):
        for kind in ("payment", "reversal"):
            labels = {"service": "payments", "contract": contract, "kind": kind}
            assert REGISTRY.get_sample_value("outcomes_payments_total", labels) is not None
            assert REGISTRY.get_sample_value("outcomes_payments_pence_total", labels) is not None


def test_every_rejection_reason_of_every_input_topic_is_exported_from_the_start() -> None:
    topic = "obs-test-exported-from-the-start.v1"  # no other test uses this topic
    observe.service_started("obs-test-placement", [topic])

    for reason in RejectionReason:
        labels = {"service": "obs-test-placement", "topic": topic, "reason": str(reason)}
        assert REGISTRY.get_sample_value("outcomes_events_rejected_total", labels) == 0.0
    labels = {"service": "obs-test-placement", "topic": topic}
    assert REGISTRY.get_sample_value("outcomes_events_consumed_total", labels) == 0.0
    assert REGISTRY.get_sample_value("outcomes_consumer_lag_records", labels) == 0.0
