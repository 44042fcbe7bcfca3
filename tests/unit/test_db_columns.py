"""``db.columns``: a batch's rows as column arrays for one set-based upsert."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.common.db import columns

rows = st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xy"), st.integers()))


@given(rows)
def test_without_a_key_every_row_is_kept_in_order(batch: list[tuple[str, str, int]]) -> None:
    assert list(zip(*columns(batch, 3), strict=True)) == batch


@given(rows)
def test_of_rows_with_one_key_the_last_is_kept_where_the_first_was(
    batch: list[tuple[str, str, int]],
) -> None:
    """What an upsert left, row by row: each key once, with its last row's values."""
    keys_in_order = [
        k for n, k in enumerate(r[:2] for r in batch) if k not in [r[:2] for r in batch[:n]]
    ]
    last_of = [[r for r in batch if r[:2] == k][-1] for k in keys_in_order]

    assert list(zip(*columns(batch, 3, key=2), strict=True)) == last_of


def test_no_rows_give_empty_columns() -> None:
    assert columns([], 3, key=1) == [[], [], []]
