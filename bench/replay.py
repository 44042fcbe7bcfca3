"""Backlog replay: a synthetic feed published with the services stopped, then drained.

    python -m bench.replay [--participants 5000] [--instances 1,2,4] [--seed 42]
    make bench-replay BENCH_ARGS="--participants 20000 --instances 1,2,4"
    make bench-replay BENCH_ARGS="--participants 10000,20000,40000"   # history grows

For each instance count, in a fresh database and topic namespace:

1. the feed of ``--participants`` people (``tools.feed``, natural order) is published
   to the provider topics while no service runs;
2. the **ceiling**: plain aiokafka consume -> produce of the same records (bench/ceiling.py);
3. the four services start as processes (``instances`` of each); from the moment all
   report ready until every consumer group has committed its inputs and every outbox is
   empty, the lag per service, the outbox and each service's RSS are sampled each second.

Prints provider events/s, the ratio to the ceiling's messages/s, CPU seconds per 1,000
provider events per service (all its instances), peak RSS per service (the largest
instance), and writes a PNG of lag and RSS over time per run plus a JSON of the figures
to ``.state/bench/`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.ceiling import pass_through
from bench.pipeline import (
    RESULTS,
    Target,
    Usage,
    fresh_target,
    local_servers,
    running_services,
)
from bench.plot import plot_run
from bench.profile import Profiles, top_costs
from schemas.topics import (
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    SERVICES,
    all_topics,
)
from tools import arguments
from tools.feed.generate import FeedItem, generate
from tools.feed.publish import publish_feed
from tools.quiet import BacklogProbe

SAMPLE_SECONDS = 1.0
PROVIDER_INPUTS = (PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE)
GIVE_UP_SECONDS = 3600.0


@dataclass
class Sample:
    seconds: float
    lag: dict[str, int]
    outbox: dict[str, int]
    rss: dict[str, int]


@dataclass
class ReplayResult:
    participants: int
    instances: int
    provider_events: int
    drain_seconds: float
    ceiling_messages_per_second: float
    cpu_seconds: dict[str, float]
    peak_rss: dict[str, int]
    lag_at_ready: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.provider_events / self.drain_seconds

    @property
    def ratio(self) -> float:
        return self.events_per_second / self.ceiling_messages_per_second

    def cpu_per_1000(self, service: str) -> float:
        return self.cpu_seconds.get(service, 0.0) / self.provider_events * 1000


def say(message: str) -> None:
    print(f"[bench-replay {time.strftime('%H:%M:%S')}] {message}", flush=True)


async def drain(target: Target, usage: Usage) -> tuple[float, list[Sample]]:
    """Sample until the pipeline is quiet; the seconds from the call to the first quiet
    sample (confirmed by a second one with no new records)."""
    began = time.monotonic()
    samples: list[Sample] = []
    quiet_since: float | None = None
    previous_total = -1
    async with BacklogProbe(target.bootstrap, target.database_url, target.namespace) as probe:
        while time.monotonic() - began < GIVE_UP_SECONDS:
            backlog = await probe.measure()
            now = time.monotonic() - began
            samples.append(Sample(now, backlog.lag, backlog.outbox, usage.sample()))
            steady = backlog.end_offsets_total == previous_total
            if backlog.quiet and steady and quiet_since is not None:
                return quiet_since, samples
            if not backlog.quiet:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            previous_total = backlog.end_offsets_total
            await asyncio.sleep(SAMPLE_SECONDS)
    raise TimeoutError(f"pipeline not quiet after {GIVE_UP_SECONDS:.0f}s")


def run_one(
    servers: tuple[str, str],
    items: list[FeedItem],
    participants: int,
    instances: int,
    out: Path,
    profile: bool = False,
) -> ReplayResult:
    target = fresh_target(*servers, f"replay{instances}")
    published = asyncio.run(publish_feed(target.bootstrap, items, target.namespace))
    say(f"{instances} instance(s): published {published:,} provider events, services stopped")
    provider_topics = list(all_topics(target.namespace, specs=PROVIDER_INPUTS))
    ceiling = asyncio.run(
        pass_through(target.bootstrap, provider_topics, published, f"{target.namespace}bench.sink")
    )
    say(f"ceiling: {ceiling.messages:,} messages in {ceiling.seconds:.1f}s")
    with running_services(target, instances) as processes:
        usage = Usage.of(processes, target)
        profiles = Profiles(out)
        if profile:
            profiles.start({s: pids[0] for s, pids in usage.pids.items()})
        usage.start()
        seconds, samples = asyncio.run(drain(target, usage))
        usage.stop()
        profiles.stop()
    for service in profiles.running:
        print(format_profile(service, profiles.path(service)))
    result = ReplayResult(
        participants=participants,
        instances=instances,
        provider_events=published,
        drain_seconds=seconds,
        ceiling_messages_per_second=ceiling.per_second,
        cpu_seconds={s: usage.cpu_used(s) for s in (*SERVICES, *INFRASTRUCTURE)},
        peak_rss={s: usage.peak_rss(s) for s in SERVICES},
        lag_at_ready=sum(samples[0].lag.values()),
        samples=samples,
    )
    png = out / f"replay-{participants}p-{instances}i.png"
    plot_run(
        png,
        f"replay: {participants:,} participants, {instances} instance(s) per service",
        [s.seconds for s in samples],
        {svc: [s.lag[svc] for s in samples] for svc in SERVICES},
        {svc: [s.rss[svc] for s in samples] for svc in SERVICES},
    )
    say(f"plot: {png}")
    return result


INFRASTRUCTURE = ("postgres", "kafka")
"""Also measured when local: their CPU per 1,000 events (the first broker only)."""


def format_profile(service: str, path: Path) -> str:
    costs = top_costs(path)
    lines = [f"profile of {service} (instance 1, {costs.samples} samples)"]
    lines.append("  on top of the stack (self):")
    lines += [f"    {share:6.1%}  {name}" for name, share in costs.own]
    lines.append("  this repository's functions (inclusive):")
    lines += [f"    {share:6.1%}  {name}" for name, share in costs.project]
    return "\n".join(lines)


def report(results: list[ReplayResult]) -> str:
    """One row per run: ``cpu/1k all`` (every service) stays flat when the cost per event
    does not grow with the history (compare the rows of several ``--participants``)."""
    lines = [
        "participants instances  events  drain_s  events/s  ceiling/s  ratio  cpu/1k   all"
        + "".join(f"  cpu/1k {s[:5]:>5}" for s in (*SERVICES, *INFRASTRUCTURE))
        + "".join(f"  rss {s[:5]:>5}" for s in SERVICES),
    ]
    for r in results:
        lines.append(
            f"{r.participants:>12,} {r.instances:>9} {r.provider_events:>7,} {r.drain_seconds:8.1f}"
            f" {r.events_per_second:9,.0f} {r.ceiling_messages_per_second:10,.0f} {r.ratio:6.3f}"
            f"  {sum(r.cpu_per_1000(s) for s in SERVICES):11.3f}s"
            + "".join(f"  {r.cpu_per_1000(s):11.3f}s" for s in (*SERVICES, *INFRASTRUCTURE))
            + "".join(f"  {r.peak_rss[s] / 2**20:6.0f}MiB" for s in SERVICES)
        )
    return "\n".join(lines)


def _sizes(text: str) -> list[int]:
    """Participant counts, e.g. ``10000,20000,40000`` (each as ``--participants`` takes it)."""
    return [arguments.participant_count(v) for v in text.split(",")]


def _counts(text: str) -> list[int]:
    values = [int(v) for v in text.split(",")]
    if not values or any(not 1 <= v <= 4 for v in values):
        raise argparse.ArgumentTypeError("instances: a list of 1-4, e.g. 1,2,4")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    parser.add_argument(
        "--participants", type=_sizes, default=[5000], help="e.g. 10000 or 10000,20000,40000"
    )
    parser.add_argument("--instances", type=_counts, default=[1], help="e.g. 1,2,4")
    parser.add_argument("--seed", type=arguments.seed, default=42)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile", action="store_true", help="py-spy each service during the drain"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[ReplayResult] = []
    with local_servers() as servers:
        for participants in args.participants:
            items = list(generate(participants, args.seed).items)
            results += [
                run_one(servers, items, participants, n, args.out, args.profile)
                for n in args.instances
            ]
    print(report(results))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    sizes = "-".join(str(p) for p in args.participants)
    figures = args.out / f"replay-{sizes}p-{stamp}.json"
    rows = [
        asdict(r) | {"events_per_second": r.events_per_second, "ratio": r.ratio} for r in results
    ]
    figures.write_text(json.dumps(rows, indent=1) + "\n")
    say(f"figures: {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
