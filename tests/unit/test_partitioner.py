"""The relay's partitioner chooses exactly the partition aiokafka's default would."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from services.common.partitioner import partition_for


@given(key=st.binary(max_size=64), partitions=st.integers(min_value=1, max_value=64))
def test_a_key_goes_where_the_default_partitioner_sends_it(key: bytes, partitions: int) -> None:
    every = list(range(partitions))
    expected = DefaultPartitioner()(key, every, every)
    assert partition_for(key, every, every) == expected
    assert partition_for(key, every, every) == expected  # again, from the kept hash


def test_no_key_goes_to_an_available_partition() -> None:
    for _ in range(20):
        assert partition_for(None, [0, 1, 2], [2]) == 2
