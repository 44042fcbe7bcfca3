"""One provider can never cost another money (domain.md v3 §9, issue 11 item 3).

Referral, placement and evidence ids are the sending provider's own, and "processed once"
is per provider. Whatever provider B sends -- a verbatim copy of A's events on B's own
topic (the copy must not suppress A's original), B's own entities under A's ids (squatting,
sent before A's: pre-emption), B's events re-using A's event ids -- in any interleaving
and batching, A's money is what A's events alone earn. Run through the whole pipeline in
memory (services/simulation.py).
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.base import Event
from schemas.common import RejectionReason as R
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobStarted,
    ProgrammeStarted,
    ReferralMade,
)
from schemas.topics import PROVIDER_KINDS, TopicSpec
from services.common.codec import encode
from services.simulation import Arrival, simulate
from tests.builders import REPEATABLE

A, B = "prov-whp-central", "prov-whp-west"
A_EVENTS: list[Event] = [
    REPEATABLE.referral("ref-1"),
    REPEATABLE.programme_start("ref-1"),
    REPEATABLE.job_start("plc-1"),
    REPEATABLE.evidence("ev-1", date(2024, 4, 15), date(2024, 5, 14), 250_000),
    REPEATABLE.evidence("ev-2", date(2024, 5, 15), date(2024, 6, 14), 250_000),
    REPEATABLE.evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 1_000),
    REPEATABLE.retraction("ev-3"),
]
"""A's participant: a job start, first earnings and an earnings outcome from ev-1 and ev-2;
ev-3 sent and retracted."""


ATTACKS = ("copy_on_bs_topic", "bs_own_under_as_id", "bs_own_with_as_event_id")


@st.composite
def attacks(draw: st.DrawFn) -> list[Arrival]:
    """B's messages built from A's: for each of A's events, zero or more attacks."""
    out: list[Arrival] = []
    for n, event in enumerate(A_EVENTS):
        for attack in draw(st.lists(st.sampled_from(ATTACKS), max_size=2, unique=True)):
            spec = _spec_of(event)
            if attack == "copy_on_bs_topic":
                out.append((spec, encode(event), B))
                continue
            own = b_event(event, n)
            if attack == "bs_own_with_as_event_id":
                own = own.model_copy(update={"event_id": event.event_id})
            out.append(own)
    return out


def b_event(event: Event, n: int) -> Event:
    """B's own event under the ids A uses, with a fresh event id."""
    tag = f"b-{n}"
    if isinstance(event, ReferralMade):
        return REPEATABLE.referral(
            "ref-1",
            nino="CE654321A",
            provider_id=B,
            contract_id="whp-west",
            borough="Brent",
            tag=tag,
        )
    if isinstance(event, ProgrammeStarted):
        return REPEATABLE.programme_start(
            "ref-1", provider_id=B, start_date=date(2024, 4, 2), tag=tag
        )
    if isinstance(event, JobStarted):
        return REPEATABLE.job_start(
            "plc-1", provider_id=B, job_start_date=date(2024, 4, 16), tag=tag
        )
    if isinstance(event, EvidenceSubmitted):
        return REPEATABLE.evidence(
            event.evidence_id, event.period_start, event.period_end, 1, provider_id=B, tag=tag
        )
    assert isinstance(event, EvidenceRetracted)
    return REPEATABLE.retraction(event.evidence_id, provider_id=B, tag=tag)


def _spec_of(event: Event) -> TopicSpec:
    return next(spec for spec in PROVIDER_KINDS if type(event) in spec.models)


def _interleave(first: list[Arrival], second: list[Arrival], picks: list[bool]) -> list[Arrival]:
    """Both lists in their own order, merged as ``picks`` says (True: take from second)."""
    out: list[Arrival] = []
    i = j = 0
    for pick in picks:
        if pick and j < len(second):
            out.append(second[j])
            j += 1
        elif i < len(first):
            out.append(first[i])
            i += 1
    return out + first[i:] + second[j:]


def a_money(arrivals: list[Arrival], batch_size: int = 1) -> dict[object, int]:
    result = simulate(arrivals, batch_size=batch_size)
    return {k: v for k, v in result.net_payments().items() if k[0] == "whp-central"}


CONTROL = a_money(list(A_EVENTS))


def test_the_control_earns_an_earnings_outcome() -> None:
    assert sum(CONTROL.values()) >= 400_000


@settings(max_examples=150, deadline=None)
@given(
    b=attacks(),
    picks=st.lists(st.booleans(), max_size=30),
    bs_first=st.booleans(),
    batch_size=st.integers(1, 4),
)
def test_nothing_b_sends_changes_as_money(
    b: list[Arrival], picks: list[bool], bs_first: bool, batch_size: int
) -> None:
    a: list[Arrival] = list(A_EVENTS)
    arrivals = b + a if bs_first else _interleave(a, b, picks)
    assert a_money(arrivals, batch_size) == CONTROL


def test_a_copy_on_bs_topic_first_does_not_suppress_as_evidence() -> None:
    # the case: B publishes A's next evidence on its own topic before A does
    ev2 = A_EVENTS[4]
    copy: Arrival = (_spec_of(ev2), encode(ev2), B)
    result = simulate([*A_EVENTS[:4], copy, ev2])
    assert result.reasons() == {str(ev2.event_id): R.PROVIDER_MISMATCH}  # B's copy, told B
    assert [r.provider_id for r in result.rejections] == [B]
    assert a_money([*A_EVENTS[:4], copy, ev2]) == a_money(list(A_EVENTS[:5]))


def test_bs_ids_taken_first_leave_as_referral_placement_and_evidence_alone() -> None:
    # squatting: B takes A's predictable next ids first, with B's own valid entities
    squatting = [b_event(e, n) for n, e in enumerate(A_EVENTS)]
    result = simulate([*squatting, *A_EVENTS])
    assert result.participant_of("ref-1", A) != result.participant_of("ref-1", B)
    assert {r.provider_id for r in result.rejections} <= {B}
    assert a_money([*squatting, *A_EVENTS]) == CONTROL
