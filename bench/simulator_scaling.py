"""Does the in-memory simulator keep its speed as the history grows?

Replays the synthetic feed (``tools.feed``, natural order) of N, 2N, 4N, ... participants
through ``services.simulation.simulate`` and prints events per CPU second for each size and
its ratio to the smallest size, measured in the same run (the baseline). A linear
simulator keeps the ratio near 1.0; the quadratic one it replaced fell to about 0.4 at
4N (1,000 participants 3,734 events/s, 4,000: 1,566). Sizes are interleaved across
``--repeat`` rounds so that drift on a shared machine reaches every size; each figure is
the median. Feed generation is not timed.

    python -m bench.simulator_scaling [--participants 1000] [--doublings 3] [--repeat 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

from services.simulation import simulate
from tools.feed.generate import generate_feed


def events_per_second(participants: int, seed: int) -> tuple[int, float]:
    events = [item.event for item in generate_feed(participants, seed)]
    started = time.process_time()  # CPU time: a shared machine's wall time is noise
    simulate(events)
    return len(events), len(events) / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.simulator_scaling", description=__doc__)
    parser.add_argument("--participants", type=int, default=1000, help="smallest size")
    parser.add_argument("--doublings", type=int, default=3, help="sizes N, 2N, ... 2^k N")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if not 1 <= args.participants <= 100_000 or not 0 <= args.doublings <= 6:
        parser.error("participants 1..100000, doublings 0..6")
    if not 1 <= args.repeat <= 10:
        parser.error("repeat 1..10")
    sizes = [args.participants * 2**k for k in range(args.doublings + 1)]
    rates: dict[int, list[float]] = {n: [] for n in sizes}
    counts: dict[int, int] = {}
    for _ in range(args.repeat):
        for n in sizes:
            counts[n], rate = events_per_second(n, args.seed)
            rates[n].append(rate)
    baseline = statistics.median(rates[sizes[0]])
    print(f"{'participants':>12} {'events':>8} {'per CPU s':>9} {'vs smallest':>11}")
    for n in sizes:
        rate = statistics.median(rates[n])
        print(f"{n:>12} {counts[n]:>8} {rate:>9.0f} {rate / baseline:>11.2f}")


if __name__ == "__main__":
    main()
