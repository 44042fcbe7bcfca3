"""When a service is ready (``outcomes_service_ready``): pure, no I/O.

Ready means able to do its work: the runtime is up (database pool, outbox relay), every
input topic exists on the broker, and the consumer group has assigned this instance
partitions, all of them of its input topics. A service whose input topics are missing
consumes nothing (faust only logs "Ignoring missing topic"), so it is not ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

MAX_NAMED = 5


def not_ready_because(
    runtime_started: bool,
    inputs: Sequence[str],
    partitions_of: Callable[[str], int | None],
    assigned_topics: Iterable[str],
) -> str | None:
    """Why the service is not ready, or None when it is.

    ``partitions_of(topic)``: the topic's partition count in the consumer's metadata
    (None or 0: the broker does not have it); ``assigned_topics``: the topics of the
    partitions assigned to this instance.
    """
    if not runtime_started:
        return "database pool and outbox relay not started yet"
    missing = [t for t in inputs if not partitions_of(t)]
    if missing:
        named = ", ".join(missing[:MAX_NAMED])
        more = f" and {len(missing) - MAX_NAMED} more" if len(missing) > MAX_NAMED else ""
        return f"{len(missing)} of {len(inputs)} input topics missing on the broker: {named}{more}"
    assigned = set(assigned_topics)
    if not assigned:
        return "no partitions assigned by the consumer group yet"
    foreign = sorted(assigned - set(inputs))
    if foreign:
        return f"assigned partitions of topics that are not inputs: {', '.join(foreign)}"
    return None
