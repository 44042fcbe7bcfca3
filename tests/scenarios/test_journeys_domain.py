"""Every journey through the pure pipeline simulator (services/simulation.py).

The expectations in the files were written by hand from domain.md v2; the simulator runs
the services' real handlers and domain rules in memory. A difference is a bug in one of
the two: the journey file says which rule it checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from schemas.payments import ProviderPaymentIssued
from schemas.placement import PlacementConfirmed
from schemas.rejections import EventRejected
from schemas.topics import provider_topic
from services.common.reference import load_contracts, load_rates
from services.simulation import Simulation, simulate
from tests.scenarios.journeys import REFERENCE_DIR, Arrival, Journey, all_journeys

JOURNEYS = all_journeys()
CONTRACTS = load_contracts(REFERENCE_DIR / "contracts.json")
RATES = load_rates(REFERENCE_DIR / "rates.json")

KNOWN_DIFFERENCES: dict[str, str] = {}
"""Journeys the code does not pass yet, with the reason (strict xfail: fixed ones fail)."""


def run(journey: Journey) -> Simulation:
    arrivals: list[Any] = []
    for group in journey.groups():
        records = [(a.spec, a.value, a.provider_id) for a in group]
        arrivals.append(records if len(group) > 1 else records[0])
    return simulate(arrivals, contracts=CONTRACTS, rates=RATES)


def rejected_labels(journey: Journey, result: Simulation) -> list[tuple[str, str]]:
    by_position = positions(journey)
    by_event_id = journey.label_of_event_id()
    found = []
    for r in result.rejections:
        found.append((label_of(r, by_position, by_event_id), str(r.reason)))
    return sorted(found)


def positions(journey: Journey) -> dict[tuple[str, int], Arrival]:
    """(topic, offset) of each arrival as the simulator numbers them (per topic, from 0)."""
    counts: dict[str, int] = {}
    out: dict[tuple[str, int], Arrival] = {}
    for a in journey.arrivals:
        topic = provider_topic(a.spec, a.provider_id)
        offset = counts.get(topic, 0)
        counts[topic] = offset + 1
        out[(topic, offset)] = a
    return out


def label_of(
    r: EventRejected, by_position: dict[tuple[str, int], Arrival], by_event_id: dict[str, str]
) -> str:
    arrival = by_position.get((r.source_topic, r.source_offset))
    if arrival is not None and r.source_event_id in (None, arrival.event_id):
        return arrival.label
    if r.source_event_id in by_event_id:
        return by_event_id[r.source_event_id]
    return f"?{r.source_topic}:{r.source_offset}:{r.source_event_id}"


def milestones(journey: Journey, result: Simulation) -> list[dict[str, Any]]:
    referral_of = referrals(journey, result)
    out = []
    for (pid, kind), m in result.standing().items():
        entry: dict[str, Any] = {
            "participant": referral_of.get(pid, pid),
            "milestone": str(kind),
            "reached_on": str(m.reached_on),
            "payable": m.payable,
        }
        if m.not_payable_reason is not None:
            entry["not_payable_reason"] = str(m.not_payable_reason)
        out.append(entry)
    return sorted(out, key=_key)


def referrals(journey: Journey, result: Simulation) -> dict[str, str]:
    """participant_id -> the referral_id the journey names it by."""
    out: dict[str, str] = {}
    for referral_id in referral_ids(journey):
        pid = result.participant_of(referral_id)
        if pid is not None:
            out.setdefault(pid, referral_id)
    return out


def referral_ids(journey: Journey) -> Iterator[str]:
    import json

    for a in journey.arrivals:
        body = json.loads(a.value)
        if body.get("type") == "referral" and isinstance(body.get("referral_id"), str):
            yield body["referral_id"]


def payments(journey: Journey, result: Simulation) -> list[dict[str, Any]]:
    referral_of = referrals(journey, result)
    last: dict[tuple[str, str, str], ProviderPaymentIssued] = {}
    for p in result.payments:
        if p.reverses is None:
            last[(p.contract_id, p.participant_id, str(p.milestone))] = p
    out = []
    for (contract, pid, kind), net in result.net_payments().items():
        paid = last.get((contract, pid, str(kind)))
        out.append(
            {
                "participant": referral_of.get(pid, pid),
                "contract_id": contract,
                "milestone": str(kind),
                "base_pence": paid.base_pence if paid else None,
                "uplift_pence": paid.uplift_pence if paid else None,
                "net_pence": net,
            }
        )
    return sorted(out, key=_key)


def issued(journey: Journey, result: Simulation) -> list[dict[str, Any]]:
    referral_of = referrals(journey, result)
    return [
        {
            "participant": referral_of.get(p.participant_id, p.participant_id),
            "milestone": str(p.milestone),
            "amount_pence": p.amount_pence,
        }
        for p in result.payments
    ]


def placements(result: Simulation) -> dict[str, tuple[bool, bool]]:
    return {
        p.placement_id: (p.pays_llw, p.below_minimum_wage)
        for p in result.of_type(PlacementConfirmed)
    }


def _key(entry: dict[str, Any]) -> tuple[str, ...]:
    return (entry["participant"], entry["milestone"], entry.get("contract_id", ""))


def journey_params() -> list[Any]:
    params = []
    for journey in JOURNEYS:
        marks = []
        if journey.name in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[journey.name], strict=True))
        params.append(pytest.param(journey, id=journey.name, marks=marks))
    return params


@pytest.mark.parametrize("journey", journey_params())
def test_journey_through_the_simulator(journey: Journey) -> None:
    result = run(journey)
    expect = journey.expect
    wanted_rejections = sorted((r["label"], r["reason"]) for r in expect["rejections"])
    assert rejected_labels(journey, result) == wanted_rejections
    assert milestones(journey, result) == sorted(expect["milestones"], key=_key)
    assert payments(journey, result) == sorted(expect["payments"], key=_key)
    for flags in expect.get("placements", []):
        confirmed = placements(result)
        assert confirmed.get(flags["placement_id"]) == (
            flags["pays_llw"],
            flags["below_minimum_wage"],
        ), flags
    if "issued" in expect:
        assert issued(journey, result) == expect["issued"]
    assert result.net_payments() == result.due()
