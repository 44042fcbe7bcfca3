"""The fuzz generator, its accounting and the chaos schedule (pure parts, no I/O)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from schemas.provider import ReferralMade
from schemas.topics import PROVIDER_EVIDENCE, PROVIDER_INTAKE, PROVIDER_PLACEMENTS, SERVICES
from tools.chaos.__main__ import schedule
from tools.chaos.infra import SHARED_PORTS, PrivateInfra
from tools.feed.generate import FeedItem, generate_feed
from tools.fuzz.account import Rejected, ServiceState, account
from tools.fuzz.hostile import (
    FEED_ATTACKS,
    MALFORMED,
    Hostile,
    Message,
    hostile_messages,
    interleave,
)
from tools.fuzz.pipeline import Position, feed_message, providers

LIMIT = 4096


@pytest.fixture(scope="module")
def feed() -> list[FeedItem]:
    return generate_feed(60, 3)


@pytest.fixture(scope="module")
def made(feed: list[FeedItem]) -> tuple[list[Hostile], list[Hostile]]:
    return hostile_messages(feed, providers(), 600, 5, LIMIT, size_messages=2)


def test_the_same_seed_gives_the_same_messages(
    feed: list[FeedItem], made: tuple[list[Hostile], list[Hostile]]
) -> None:
    again = hostile_messages(feed, providers(), 600, 5, LIMIT, size_messages=2)
    assert again == made
    other = hostile_messages(feed, providers(), 600, 6, LIMIT, size_messages=2)
    assert [h.value for h in other[1]] != [h.value for h in made[1]]


def test_every_provider_topic_gets_its_count_and_every_kind(
    made: tuple[list[Hostile], list[Hostile]],
) -> None:
    _, hostile = made
    per_topic = Counter(h.spec.name for h in hostile)
    assert per_topic == {
        PROVIDER_INTAKE.name: 600,
        PROVIDER_PLACEMENTS.name: 600,
        PROVIDER_EVIDENCE.name: 600,
    }
    kinds = {h.kind for h in hostile}
    assert set(MALFORMED) | {"size_under", "size_over"} <= kinds
    assert set(FEED_ATTACKS) - {"other_provider_evidence_id"} <= kinds


def test_size_messages_sit_just_under_and_over_the_limit(
    made: tuple[list[Hostile], list[Hostile]],
) -> None:
    sizes = {(h.kind, len(h.value or b"")) for h in made[1] if h.kind.startswith("size_")}
    assert sizes == {("size_under", LIMIT - 1), ("size_over", LIMIT + 1)}
    under = next(h for h in made[1] if h.kind == "size_under")
    assert json.loads(under.value or b"")["event_id"] == under.event_id


def test_hostile_input_is_hostile(made: tuple[list[Hostile], list[Hostile]]) -> None:
    values = [h.value or b"" for h in made[1]]
    assert any(b"\\u0000" in v for v in values)  # NUL
    assert any(b"\\ud800" in v or b"\\udfff" in v or b"\xed\xa0\x80" in v for v in values)
    assert any(b"[" * 10_000 in v for v in values)  # nesting depth 10,000
    assert any(b"x" * 10_000 in v for v in values)  # 10k-character strings
    assert any(b"1000000000000000000000000000000" in v for v in values)  # 10^30
    assert any(b"E-999999999" in v for v in values)
    assert any(b"2024-02-30" in v for v in values)
    assert any(b"DROP TABLE" in v for v in values)
    assert any(h.value is None for h in made[1])


def test_the_hostile_world_never_shares_a_person_or_an_event_id_with_the_feed(
    feed: list[FeedItem], made: tuple[list[Hostile], list[Hostile]]
) -> None:
    base, hostile = made
    feed_ids = {str(i.event.event_id) for i in feed}
    ninos = {i.event.nino for i in feed if isinstance(i.event, ReferralMade)}
    copies = {"duplicate_event_id", "resend_same"}
    assert all(h.event_id not in feed_ids for h in [*base, *hostile] if h.kind not in copies)
    assert all(h.event_id in feed_ids for h in hostile if h.kind in copies)
    for h in base:
        if h.kind == "base_referral":
            assert json.loads(h.value or b"")["nino"] not in ninos


def test_interleaving_keeps_the_feed_order_and_puts_copies_after_their_original(
    feed: list[FeedItem], made: tuple[list[Hostile], list[Hostile]]
) -> None:
    base, hostile = made
    messages = interleave(feed, base, hostile, 5, feed_message)
    assert len(messages) == len(feed) + len(base) + len(hostile)
    valid = [m.value for m in messages if m.hostile is None]
    assert valid == [feed_message(i).value for i in feed]
    seen_feed = 0
    for m in messages:
        if m.hostile is None:
            seen_feed += 1
        elif m.hostile.not_before:
            assert seen_feed > m.hostile.not_before


def _msg(kind: str, value: bytes | None, event_id: str | None, expect: str = "reject") -> Message:
    h = Hostile(kind, PROVIDER_INTAKE, "prov-x", b"k", value, expect, event_id)  # type: ignore[arg-type]
    return Message(PROVIDER_INTAKE, "prov-x", b"k", value, h)


def test_accounting_finds_every_fate_and_what_was_lost() -> None:
    topic = "ns.provider.prov-x.intake.v1"
    original = Message(PROVIDER_INTAKE, "prov-x", b"k", b'{"event_id": "a", "n": 1}')
    messages = [
        original,
        _msg("random_bytes", b"\x00\x01", None),  # rejected
        _msg("size_under", b'{"event_id": "b"}', "b", "keep"),  # held
        _msg("resend_same", b'{"event_id": "a", "n": 1}', "a", "keep"),  # duplicate no-op
        _msg("duplicate_event_id", b'{"event_id": "a", "n": 2}', "a"),  # dropped silently
        _msg("truncated_json", b'{"ev', None),  # lost
        _msg("metacharacters", b'{"event_id": "c"}', "c", "any"),  # accepted
        _msg("size_over", b"x" * 10, None),  # refused by the broker
    ]
    positions: list[Position | None] = [Position(topic, 0, n) for n in range(len(messages))]
    positions[-1] = None
    rejections = {(topic, 0, 1): Rejected("invalid_schema", 2)}
    states = {
        "intake": ServiceState(  # the inbox names the provider of the topic (v3 §9)
            frozenset({"prov-x:a", "prov-x:b", "prov-x:c"}), frozenset({(topic, 0, 2)})
        ),
        "placement": ServiceState(frozenset(), frozenset()),
        "sustainment": ServiceState(frozenset(), frozenset()),
    }
    result = account(messages, positions, rejections, states)
    assert result.total_sent == 6
    assert result.refused_by_broker == 1
    assert result.rejected == {"invalid_schema": 1}
    assert (result.held, result.duplicates, result.accepted) == (1, 1, 1)
    assert result.unaccounted == {
        "duplicate_event_id: same event_id, other content, no rejection": 1,
        "truncated_json: neither rejected, held nor processed": 1,
    }
    assert result.kept_expected_rejection == {"duplicate_event_id": 1}


def test_chaos_schedule_kills_each_service_and_each_server() -> None:
    actions = schedule(11, 100.0, 5, infra=True)
    counts = Counter(a.what for a in actions)
    wanted: dict[str, int] = {**dict.fromkeys(SERVICES, 5), "kafka": 1, "postgres": 1}
    assert counts == wanted
    assert all(0 < a.at <= 100.0 for a in actions)
    assert actions == sorted(actions, key=lambda a: a.at)
    assert schedule(11, 100.0, 5, infra=True) == actions
    assert "kafka" not in {a.what for a in schedule(11, 100.0, 5, infra=False)}


def test_private_infra_takes_any_free_ports_but_refuses_the_shared_servers() -> None:
    infra = PrivateInfra(kafka_port=41001, kafka_controller_port=41002, postgres_port=41003)
    assert infra.env()["KAFKA_PORT"] == "41001"
    assert infra.env()["KAFKA_CONTROLLER_PORT"] == "41002"
    assert infra.database_url.endswith(":41003/outcomes")
    for shared in sorted(SHARED_PORTS):
        with pytest.raises(ValueError, match="shared ports"):
            PrivateInfra(kafka_port=shared, kafka_controller_port=41002, postgres_port=41003)
    with pytest.raises(ValueError, match="three different ports"):
        PrivateInfra(kafka_port=41001, kafka_controller_port=41001, postgres_port=41003)
