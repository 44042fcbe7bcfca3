"""The accepted histories held by the in-memory simulator's sustainment store (for the
what-if tests and the benchmark: the same facts the PostgreSQL read model holds)."""

from __future__ import annotations

from collections import defaultdict

from services.insights.whatif import AcceptedHistory
from services.sustainment.adapters.memory import SustainmentStore
from services.sustainment.facts import EvidenceFacts, PlacementFacts


def accepted_histories(store: SustainmentStore) -> list[AcceptedHistory]:
    placements: dict[str, list[PlacementFacts]] = defaultdict(list)
    for p in store.placements.values():
        if not p.withdrawn:
            placements[p.participant_id].append(p.facts)
    evidence: dict[str, list[EvidenceFacts]] = defaultdict(list)
    for e in store.evidence.values():
        if not e.retracted:
            evidence[e.participant_id].append(e.facts)
    return [
        AcceptedHistory(
            participant_id=pid,
            provider_id=r.provider_id,
            contract_id=r.contract_id,
            eligibility_group=r.eligibility_group,
            start_date=r.window.start_date,
            leaver_date=r.window.leaver_date,
            placements=tuple(placements[pid]),
            evidence=tuple(evidence[pid]),
        )
        for pid, r in sorted(store.participants.items())
    ]
