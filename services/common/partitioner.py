"""The relay's partitioner: Kafka's murmur2 key partitioning, each key hashed once.

aiokafka's ``DefaultPartitioner`` runs a pure-Python murmur2 for every record; outbox
keys recur (a participant's events all carry its id), so the hash of a key is kept
(bounded). The partition chosen is exactly the default one: the Java client's
``murmur2(key) & 0x7fffffff % partitions``, so co-partitioning with other producers holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from aiokafka.partitioner import DefaultPartitioner, murmur2

KEYS_KEPT = 65536
"""Key hashes remembered (about 100 bytes each)."""


@lru_cache(maxsize=KEYS_KEPT)
def key_hash(key: bytes) -> int:
    """murmur2 of ``key`` as a non-negative int (the Java client's ``toPositive``)."""
    return int(murmur2(key)) & 0x7FFFFFFF


def partition_for(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
) -> int:
    """aiokafka's partitioner signature: the default choice, with the key's hash kept."""
    if key is None:
        return int(DefaultPartitioner()(key, all_partitions, available))
    return all_partitions[key_hash(bytes(key)) % len(all_partitions)]
