"""How long the what-if takes to replay a large accepted history (domain.md §11).

Set-up (not timed): the synthetic feed (``tools.feed``) of ``--base`` participants runs
once through the in-memory simulator; its accepted histories (sustainment's store) are
copied under new participant ids up to ``--participants`` (default 50,000). Timed: the
what-if of every contract in the book with its LLW uplift raised by 15 points, over a
quarter, a half and all of the histories -- each participant's milestones computed once
(the edit keeps ``weekly_hours_min``) and settled twice (as the contract is, and edited).
The ratio of
participants per CPU second against the quarter (the baseline, same run) shows whether the
replay stays linear.

    python -m bench.whatif_replay [--participants 50000] [--base 2000] [--seed 42]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from services.common.reference import load_contracts, load_rates
from services.insights.adapters.simulation import accepted_histories
from services.insights.whatif import AcceptedHistory, ContractEdit, what_if
from services.simulation import simulate
from tools.feed.generate import generate_feed


def histories(participants: int, base: int, seed: int) -> tuple[list[AcceptedHistory], float]:
    events = [item.event for item in generate_feed(base, seed)]
    started = time.perf_counter()
    sample = accepted_histories(simulate(events).sustainment)
    simulated = time.perf_counter() - started
    copies = [
        replace(h, participant_id=f"{h.participant_id}-{n}")
        for n in range(participants // len(sample) + 1)
        for h in sample
    ]
    return copies[:participants], simulated


def replay_all(population: list[AcceptedHistory]) -> tuple[float, float, int, int]:
    """Seconds (wall, CPU), total change in pence, participants whose money changes."""
    rates = load_rates()
    started, cpu = time.perf_counter(), time.process_time()
    difference = changed = 0
    for contract in load_contracts().contracts.values():
        edit = ContractEdit(llw_uplift_percent=contract.llw_uplift_percent + 15)
        result = what_if(population, contract, edit, rates)
        difference += result.difference_pence
        changed += len(result.changes)
    return time.perf_counter() - started, time.process_time() - cpu, difference, changed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.whatif_replay", description=__doc__)
    parser.add_argument("--participants", type=int, default=50_000)
    parser.add_argument("--base", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if not 4 <= args.participants <= 500_000 or not 1 <= args.base <= 20_000:
        parser.error("participants 4..500000, base 1..20000")
    population, simulated = histories(args.participants, args.base, args.seed)
    print(
        f"set-up: {args.base} participants simulated in {simulated:.1f} s,"
        f" copied to {len(population)}"
    )
    sizes = [len(population) // 4, len(population) // 2, len(population)]
    baseline = None
    print(
        f"{'participants':>12} {'seconds':>8} {'CPU s':>6} {'per CPU s':>14}"
        f" {'vs quarter':>10} {'change':>14} {'changed':>8}"
    )
    for n in sizes:
        seconds, cpu, difference, changed = replay_all(population[:n])
        rate = n / cpu  # CPU time: what the replay costs, whatever else the machine runs
        baseline = baseline or rate
        print(
            f"{n:>12} {seconds:>8.1f} {cpu:>6.1f} {rate:>14.0f} {rate / baseline:>10.2f}"
            f" {'£' + format(difference / 100, ',.2f'):>14} {changed:>8}"
        )


if __name__ == "__main__":
    main()
