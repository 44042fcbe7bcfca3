"""What a rule returns (``emits.Decided``) and how the runtime follows it: a rejection or
hold is carried out and nothing is published; otherwise the returned events go on the
topic their service writes them to, keyed as the registry says, and the keys are
released."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.topics import MILESTONES, PARTICIPANTS, PROVIDER_INTAKE
from services.common.decisions import ACCEPT, IGNORE, Hold, Ignore
from services.common.emits import Decided
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome
from services.common.provider_keys import release_key
from services.common.rejection import Rejection
from tests.builders import NEW_EACH_CALL

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _item() -> Received[Event]:
    event = NEW_EACH_CALL.programme_start("ref-1")
    topic = PROVIDER_INTAKE.name
    record = RawRecord(PROVIDER_INTAKE, topic, 0, 7, None, event.model_dump_json().encode())
    return Received(record, event)


def test_accepted_events_go_on_the_services_topic_keyed_by_participant() -> None:
    outcome = BatchOutcome("intake", NOW)
    started = NEW_EACH_CALL.participant_started("participant-1")
    left = NEW_EACH_CALL.participant_left("participant-2", end_date=date(2024, 9, 1))
    released = release_key("started", "p", "ref-1")
    decided = Decided(ACCEPT, (started, left), (released,))
    assert outcome.follow(decided, _item()) is True
    sent = [(o.spec, o.key, o.event) for o in outcome.outgoing]
    assert sent == [
        (PARTICIPANTS, "participant-1", started),
        (PARTICIPANTS, "participant-2", left),
    ]
    assert outcome.take_released() == [released]


def test_an_event_goes_only_on_a_topic_its_service_writes() -> None:
    with pytest.raises(TypeError):
        BatchOutcome("placement", NOW).publish(NEW_EACH_CALL.participant_started("p"))
    outcome = BatchOutcome("sustainment", NOW)
    reached = NEW_EACH_CALL.milestone_reached(participant_id="participant-3")
    outcome.publish(reached)
    assert [(o.spec, o.key) for o in outcome.outgoing] == [(MILESTONES, "participant-3")]


@pytest.mark.parametrize(
    "decision",
    [
        Rejection(RejectionReason.INVALID_PERIOD, "no"),
        Hold(release_key("referral", "p", "ref-1")),
        IGNORE,
    ],
)
def test_a_rejected_held_or_ignored_input_publishes_and_releases_nothing(
    decision: Rejection | Hold | Ignore,
) -> None:
    outcome = BatchOutcome("intake", NOW)
    assert outcome.follow(Decided(decision), _item()) is False
    assert outcome.outgoing == []
    assert outcome.take_released() == []
    assert len(outcome.rejections) == int(isinstance(decision, Rejection))
    assert len(outcome.holds) == int(isinstance(decision, Hold))
