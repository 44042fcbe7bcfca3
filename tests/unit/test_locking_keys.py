"""The keys a processing transaction locks (services/runtime/locking.py), and the
partitions a batch advances (services/runtime/ownership.py): pure parts."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schemas.base import Event
from schemas.topics import ALL_TOPICS, MILESTONES
from services.common.holds import Entity, provider_wait_for, subject, wait_for
from services.common.messages import RawRecord
from services.runtime.locking import Locking, key_of, lock_id, named_keys
from services.runtime.ownership import partitions_of
from tests.builders import (
    PROVIDER,
    evidence,
    job_end,
    job_start,
    milestone_reached,
    participant_started,
    programme_start,
)

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-:", min_size=1, max_size=20)


def test_an_event_is_keyed_by_its_participant_and_its_providers_ids() -> None:
    assert named_keys(job_start("plc-9", referral_id="ref-9")) == {
        f"referral:{PROVIDER}:ref-9",
        f"placement:{PROVIDER}:plc-9",
    }
    assert named_keys(job_end("plc-9", end_date=date(2024, 6, 1))) == {
        f"placement:{PROVIDER}:plc-9"
    }
    assert named_keys(
        evidence("ev-9", date(2024, 5, 1), date(2024, 5, 31), 100_000, placement_id="plc-9")
    ) == {f"placement:{PROVIDER}:plc-9", f"evidence:{PROVIDER}:ev-9"}
    assert named_keys(participant_started("person-9", referral_id="ref-9")) == {
        "participant:person-9",
        f"referral:{PROVIDER}:ref-9",
    }


def test_payments_and_views_lock_the_participant_only() -> None:
    per_participant = Locking("payments", entities=frozenset({Entity.PARTICIPANT}))
    reached = milestone_reached(participant_id="person-9")
    assert named_keys(reached, per_participant.entities) == {"participant:person-9"}


def test_a_programme_start_is_locked_as_its_referral() -> None:
    started = provider_wait_for(Entity.STARTED, PROVIDER, "ref-9")
    assert key_of(started) == f"referral:{PROVIDER}:ref-9"
    assert key_of(str(subject(Entity.REFERRAL, PROVIDER, "ref-9"))) in named_keys(
        programme_start("ref-9")
    )


@given(ids, ids)
def test_wait_for_keys_and_subjects_are_the_keys_of_what_they_name(provider: str, id_: str) -> None:
    """What a held input waits for, and its subject, are lock keys as its event names them."""
    for entity in (Entity.REFERRAL, Entity.PLACEMENT, Entity.EVIDENCE):
        assert key_of(provider_wait_for(entity, provider, id_)) == f"{entity}:{provider}:{id_}"
        assert key_of(subject(entity, provider, id_)) == f"{entity}:{provider}:{id_}"
    assert key_of(wait_for(Entity.PARTICIPANT, id_)) == f"participant:{id_}"


@given(ids, ids)
def test_lock_ids_are_per_service_and_stable(service: str, key: str) -> None:
    assert lock_id(service, key) == lock_id(service, key)
    assert -(2**63) <= lock_id(service, key) < 2**63


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000)), max_size=30))
def test_a_batch_advances_each_partition_past_its_last_record(
    positions: list[tuple[int, int]],
) -> None:
    records = [RawRecord(MILESTONES, "t", p, o, None, b"") for p, o in positions]
    ends = partitions_of(records)
    assert set(ends) == {("t", p) for p, _ in positions}
    for (_, partition), end in ends.items():
        assert end == 1 + max(o for p, o in positions if p == partition)


def _named_by_getattr(event: object, entities: frozenset[Entity]) -> set[str]:
    """named_keys as first written (getattr with a default on every naming field)."""
    keys: set[str] = set()
    participant = getattr(event, "participant_id", None)
    if isinstance(participant, str) and Entity.PARTICIPANT in entities:
        keys.add(f"{Entity.PARTICIPANT}:{participant}")
    provider = getattr(event, "provider_id", None)
    if isinstance(provider, str):
        for entity in entities & {Entity.REFERRAL, Entity.PLACEMENT, Entity.EVIDENCE}:
            value = getattr(event, f"{entity}_id", None)
            if isinstance(value, str):
                keys.add(f"{entity}:{provider}:{value}")
    return keys


_MODELS = sorted({m for spec in ALL_TOPICS for m in spec.models}, key=lambda m: m.__name__)


@given(
    model=st.sampled_from(_MODELS),
    values=st.dictionaries(
        st.sampled_from(["participant_id", "provider_id", "referral_id", "placement_id"])
        | st.just("evidence_id"),
        ids | st.none(),
    ),
    entities=st.frozensets(st.sampled_from(list(Entity))),
)
def test_named_keys_read_the_fields_each_model_has(
    model: type[Event], values: dict[str, str | None], entities: frozenset[Entity]
) -> None:
    """Every event model, any mix of naming fields set (or None): the keys read from the
    model's fields equal those of getattr with a default."""
    naming = ["participant_id", "provider_id", "referral_id", "placement_id", "evidence_id"]
    fields: dict[str, Any] = {k: values.get(k) for k in naming if k in model.model_fields}
    event = model.model_construct(**fields)
    assert named_keys(event, entities) == _named_by_getattr(event, entities)
