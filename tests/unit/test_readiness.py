"""Readiness: runtime up, every input topic on the broker, partitions assigned."""

from __future__ import annotations

from services.common.readiness import not_ready_because

INPUTS = ["provider.a.intake.v1", "provider.b.intake.v1"]
NONE: dict[str, int] = {}


def test_ready_when_every_input_exists_and_partitions_are_assigned() -> None:
    existing = {t: 3 for t in INPUTS}
    assert not_ready_because(True, INPUTS, existing.get, [INPUTS[0]]) is None


def test_not_ready_before_the_runtime_started() -> None:
    existing = {t: 3 for t in INPUTS}
    assert "not started" in (not_ready_because(False, INPUTS, existing.get, INPUTS) or "")


def test_not_ready_while_an_input_topic_is_missing_even_if_others_are_assigned() -> None:
    existing = {INPUTS[0]: 3, INPUTS[1]: 0}
    reason = not_ready_because(True, INPUTS, existing.get, [INPUTS[0]])
    assert reason == "1 of 2 input topics missing on the broker: provider.b.intake.v1"
    assert not_ready_because(True, INPUTS, NONE.get, []) == (
        "2 of 2 input topics missing on the broker: provider.a.intake.v1, provider.b.intake.v1"
    )


def test_many_missing_topics_are_named_up_to_five() -> None:
    inputs = [f"t{n}" for n in range(8)]
    reason = not_ready_because(True, inputs, NONE.get, [])
    assert reason == "8 of 8 input topics missing on the broker: t0, t1, t2, t3, t4 and 3 more"


def test_not_ready_without_an_assignment() -> None:
    existing = {t: 3 for t in INPUTS}
    assert not_ready_because(True, INPUTS, existing.get, []) == (
        "no partitions assigned by the consumer group yet"
    )


def test_not_ready_when_assigned_a_topic_it_does_not_consume() -> None:
    existing = {t: 3 for t in INPUTS}
    reason = not_ready_because(True, INPUTS, existing.get, ["other"])
    assert reason == "assigned partitions of topics that are not inputs: other"
