"""What-if (domain.md §11): the accepted history replayed under an edited copy of a
contract with the same rules -- checked against the whole pipeline in memory (the
simulator run under the edited contract pays exactly what the what-if says)."""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType

import pytest

from schemas.common import EligibilityGroup as G
from schemas.common import MilestoneKind as M
from services.common.reference import ContractBook, load_contracts, load_rates
from services.insights.adapters.simulation import accepted_histories
from services.insights.whatif import AcceptedHistory, ContractEdit, edited, what_if
from services.simulation import simulate
from tests.unit.sustainment_builders import START, employed, weekly_payslips
from tools.feed.generate import generate_feed

CONTRACTS = load_contracts()
RATES = load_rates()
CENTRAL = CONTRACTS.contracts["whp-central"]
PIONEER = CONTRACTS.contracts["pioneer-central"]


def history(pid: str, *, llw: bool, weeks: int = 30, hours: int = 1600, group: G = G.DISABILITY,
            contract: str = "whp-central") -> AcceptedHistory:  # fmt: skip
    return AcceptedHistory(
        participant_id=pid,
        provider_id=f"prov-{contract}",
        contract_id=contract,
        eligibility_group=group,
        start_date=START,
        leaver_date=None,
        placements=(employed("p1", START, llw=llw),),
        evidence=tuple(weekly_payslips(START, weeks, hours=hours)),  # 30 x 18,304 >= 475,904
    )


def test_a_bigger_llw_uplift_pays_more_only_where_the_outcome_job_pays_the_llw() -> None:
    people = [history("a", llw=True), history("b", llw=False), history("c", llw=True, weeks=10)]
    result = what_if(people, CENTRAL, ContractEdit(llw_uplift_percent=40), RATES)
    assert result.participants == 3
    assert result.total_as_is_pence == 500_000 + 400_000  # c has no outcome yet
    assert result.total_what_if_pence == 560_000 + 400_000
    assert result.by_milestone.difference("earnings_outcome") == 60_000
    assert [(c.participant_id, c.difference_pence) for c in result.changes] == [("a", 60_000)]


def test_group_overrides_and_weekly_hours_change_who_is_paid() -> None:
    people = [
        history("a", llw=False, contract="pioneer-central", hours=1200),  # 12 hours a week
        history("b", llw=False, contract="pioneer-central", group=G.LONG_TERM_UNEMPLOYED),
        history("x", llw=False),  # another contract: not replayed
    ]
    edit = ContractEdit(
        weekly_hours_min_hundredths=1200,
        group_prices={G.LONG_TERM_UNEMPLOYED: {M.JOB_START: 80_000}},
    )
    result = what_if(people, PIONEER, edit, RATES)
    assert result.participants == 2
    changes = {c.participant_id: (dict(c.as_is), dict(c.what_if)) for c in result.changes}
    assert changes["a"] == (
        {M.JOB_START: 50_000},  # 12 hours a week: no sustained week at 16
        {M.JOB_START: 50_000, M.SUSTAINED_13W: 100_000, M.SUSTAINED_26W: 150_000},
    )
    assert changes["b"][1][M.JOB_START] == 80_000
    assert result.by_group.difference("long_term_unemployed") == 30_000
    assert result.by_provider.names() == ["prov-pioneer-central"]


def test_edits_out_of_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="prices"):
        edited(CENTRAL, ContractEdit(prices={M.EARNINGS_OUTCOME: -1}))
    with pytest.raises(ValueError, match="uplift"):
        edited(CENTRAL, ContractEdit(llw_uplift_percent=1001))
    with pytest.raises(ValueError, match="weekly_hours_min"):
        edited(CENTRAL, ContractEdit(weekly_hours_min_hundredths=0))
    assert edited(CENTRAL, ContractEdit()).prices == CENTRAL.prices


def net_by_participant(
    payments: dict[tuple[str, str, M], int], contract: str
) -> dict[str, dict[M, int]]:
    net: dict[str, dict[M, int]] = defaultdict(dict)
    for (cid, pid, kind), pence in payments.items():
        if cid == contract:
            net[pid][kind] = pence
    return dict(net)


@pytest.mark.parametrize(
    ("contract_id", "edit"),
    [
        ("whp-central", ContractEdit(llw_uplift_percent=40)),
        (
            "pioneer-central",
            ContractEdit(weekly_hours_min_hundredths=2400, prices={M.SUSTAINED_52W: 70_000}),
        ),
    ],
)
def test_the_what_if_pays_what_the_whole_pipeline_would_under_the_edited_contract(
    contract_id: str, edit: ContractEdit
) -> None:
    events = [item.event for item in generate_feed(200, 11)]
    contract = CONTRACTS.contracts[contract_id]
    real = simulate(events)
    book = ContractBook(
        contracts=MappingProxyType({**CONTRACTS.contracts, contract_id: edited(contract, edit)})
    )
    replayed = simulate(events, contracts=book)
    result = what_if(accepted_histories(real.sustainment), contract, edit, RATES)
    as_is = net_by_participant(real.net_payments(), contract_id)
    under_edit = net_by_participant(replayed.net_payments(), contract_id)
    assert result.total_as_is_pence == sum(sum(v.values()) for v in as_is.values()) > 0
    assert result.total_what_if_pence == sum(sum(v.values()) for v in under_edit.values())
    assert result.total_what_if_pence != result.total_as_is_pence
    changed = {
        pid for pid in as_is.keys() | under_edit.keys() if as_is.get(pid) != under_edit.get(pid)
    }
    assert {c.participant_id for c in result.changes} == changed
    for c in result.changes:
        assert dict(c.what_if) == under_edit.get(c.participant_id, {})
