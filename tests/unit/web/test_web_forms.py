"""What the forms accept: bounded, local, and anything unknown falls back to the default."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData, QueryParams

from services.web.forms.caseload import CaseloadFilters, read_filters
from services.web.forms.sign_in import local_path, read_sign_in


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("/caseload?stage=in_work", "/caseload?stage=in_work"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("caseload", "/"),
        ("/" + "a" * 600, "/"),
    ],
)
def test_after_sign_in_only_a_path_of_this_service(target: str, path: str) -> None:
    assert local_path(target) == path


def test_a_long_password_is_cut_before_it_is_hashed() -> None:
    form = read_sign_in(FormData({"username": "ada", "password": "p" * 10_000}))
    assert len(form.password) == 129
    assert form.errors == {}


def test_caseload_filters_read_from_the_query() -> None:
    filters = read_filters(QueryParams("stage=in_work&due=1&held=1&q=REF-12&sort=projected&page=3"))
    assert filters == CaseloadFilters(
        stage="in_work",
        evidence_due=True,
        held=True,
        referral_id="REF-12",
        sort="projected",
        page=3,
    )
    assert read_filters(QueryParams(filters.query())) == filters


@pytest.mark.parametrize(
    "query",
    [
        "stage=everything&sort=drop table&page=-1",
        "page=99999999999999999999",
        "q=" + "x" * 65,
        "q=a%20b",
    ],
)
def test_unknown_or_unbounded_values_fall_back_to_defaults(query: str) -> None:
    filters = read_filters(QueryParams(query))
    assert filters.stage is None
    assert filters.sort == "referral"
    assert filters.referral_id is None
    assert 1 <= filters.page <= 10_000
