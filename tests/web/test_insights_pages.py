"""The insights pages (issue 15, domain.md §11) as commissioners, an enforcement team,
finance and ops read them, over a read model filled by the five real handlers.

The story (contract whp-central, programme starts on Monday 1 April 2024, NLW 1144p so
the earnings threshold is 475,904p): twelve people in Camden (C01-C12) and two in
Hackney (H01 aged 19, H02 aged 33). C01-C10 start a job on 15 April 2024 at £14.00 an
hour (above the London Living Wage, 1315p) and each sends one payslip of £4,800 for 15
April to 19 May: an earnings outcome reached on 19 May, paid £4,000 + 25% uplift. H01 and
H02 start jobs at £10.00 an hour, below the NLW: a case to check (H01, 16-24) and a breach
(H02, 25-49, employer "Corner Shop Ltd"). W01 starts on whp-west in Brent (another
sub-region: a central commissioner never counts it, a London one does). Payments are
issued on 2 December 2024 (the services' clock). Today is 30 June 2025.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import asyncpg
import pytest

from tests.builders import evidence, job_start, programme_start, referral
from tests.integration.conftest import ServiceStarter
from tests.web.conftest import AddUser, Browser, text_of, texts_of
from tests.web.insights_fixtures import empty_read_model, signed_in
from tests.web.pipeline import InProcessPipeline, start_pipeline

pytestmark = pytest.mark.integration

CAMDEN = [f"C{n:02d}" for n in range(1, 13)]
__all__ = ["empty_read_model"]


@pytest.fixture
def today() -> date:
    return date(2025, 6, 30)


@pytest.fixture
async def pipeline(start_service: ServiceStarter) -> InProcessPipeline:
    pipeline = await start_pipeline(start_service)
    people = [referral(ref, nino=f"AB{n:06d}C") for n, ref in enumerate(CAMDEN, 1)]
    people += [
        referral("H01", nino="CE000001A", borough="Hackney", date_of_birth=date(2005, 1, 1)),
        referral("H02", nino="CE000002A", borough="Hackney", date_of_birth=date(1991, 1, 1)),
    ]
    await pipeline.publish(*people, *(programme_start(p.referral_id) for p in people))
    west = "prov-whp-west"
    await pipeline.publish(
        referral(
            "W01", nino="JK000001A", borough="Brent", provider_id=west, contract_id="whp-west"
        ),
        programme_start("W01", provider_id=west),
    )
    jobs = [job_start(f"J-{ref}", referral_id=ref) for ref in CAMDEN[:10]]
    jobs.append(
        job_start("J-H01", referral_id="H01", hourly_wage_pence=1000, sic_sector="hospitality")
    )
    jobs.append(
        job_start("J-H02", referral_id="H02", hourly_wage_pence=1000).model_copy(
            update={"employer_name": "Corner Shop Ltd"}
        )
    )
    await pipeline.publish(*jobs)
    await pipeline.publish(
        *(
            evidence(
                f"EV-{ref}", date(2024, 4, 15), date(2024, 5, 19), 480_000, placement_id=f"J-{ref}"
            )
            for ref in CAMDEN[:10]
        )
    )
    return pipeline


async def test_the_funnel_counts_each_milestone_and_hides_small_numbers(
    browser: Browser, add_user: AddUser, pipeline: InProcessPipeline
) -> None:
    commissioner = await signed_in(browser, add_user, "commissioner:central")

    status, page = commissioner.get("/outcomes?by=borough")

    assert status == 200
    assert texts_of(page, "#funnel thead th") == [
        "Borough", "Started", "Ever in work", "First earnings", "Earnings outcome",
        "Self-employment outcome", "Either outcome", "Sustained 13 weeks",
        "Sustained 26 weeks", "Sustained 52 weeks",
    ]  # fmt: skip
    assert texts_of(page, "#funnel tbody tr") == [
        "Camden 12 10 10 10 <10 10 <10 <10 <10",
        "Hackney <10 <10 <10 <10 <10 <10 <10 <10 <10",
        "All 14 12 10 10 <10 10 <10 <10 <10",
    ]
    assert "outcomes, not impact" in text_of(page, ".govuk-inset-text")
    response = commissioner.client.get("/outcomes.csv?by=borough")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[1] == ["Camden", "12", "10", "10", "10", "<10", "10", "<10", "<10", "<10"]


async def test_cohort_curves_pool_cohorts_old_enough_with_a_table_under_each_chart(
    browser: Browser, add_user: AddUser, pipeline: InProcessPipeline
) -> None:
    commissioner = await signed_in(browser, add_user, "commissioner:london")

    _, page = commissioner.get("/outcomes/cohorts")

    assert [h.get_text() for h in page.select(".app-chart h2")] == [
        "Ever in work", "Earnings outcome", "Sustained 13 weeks",
    ]  # fmt: skip
    assert len(page.select(".app-chart svg[role=img] polyline")) == 2  # no sustained weeks
    in_work = texts_of(page, "#chart-in_work-table tbody tr")
    assert in_work[0] == "All starters 1 1 15 12 80.0% 54.8% to 93.0%"  # W01 counts for London
    assert len(in_work) == 14  # the April 2024 cohort is 14 whole months old on 30 June 2025
    earnings = texts_of(page, "#chart-earnings_outcome-table tbody tr")
    assert earnings[:2] == [
        "All starters 1 1 15 <10 <10",  # nobody within a month: below 10, suppressed
        "All starters 2 1 15 10 66.7% 41.7% to 84.8%",
    ]


async def test_the_minimum_wage_feed_of_one_borough_for_its_enforcement_team(
    browser: Browser, add_user: AddUser, pipeline: InProcessPipeline
) -> None:
    enforcement = await signed_in(browser, add_user, "enforcement:hackney")

    status, page = enforcement.get("/minimum-wage?borough=Camden")  # its own borough only

    assert status == 200
    assert texts_of(page, "#minimum-wage-jobs tbody tr") == [
        "Case to check Camden Market Ltd Hackney hospitality prov-whp-central J-H01"
        " 15 Apr 2024 16-24 £10.00 £11.44 37.5",
        "Breach Corner Shop Ltd Hackney retail prov-whp-central J-H02 15 Apr 2024 25-49"
        " £10.00 £11.44 37.5",
    ]
    assert texts_of(page, "#minimum-wage-summary tbody tr") == [
        "Hackney hospitality prov-whp-central 2024-04 0 1",
        "Hackney retail prov-whp-central 2024-04 1 0",
    ]
    response = enforcement.client.get("/minimum-wage.csv")
    assert 'filename="minimum-wage-hackney.csv"' in response.headers["content-disposition"]
    assert response.content.decode("utf-8-sig").count("\n") == 3


async def test_finance_statement_reconciliation_and_search(
    browser: Browser, add_user: AddUser, pipeline: InProcessPipeline
) -> None:
    finance = await signed_in(browser, add_user, "finance")

    _, page = finance.get("/finance/statements?contract=whp-central&month=2024-12")

    assert text_of(page, ".app-statement h2") == "prov-whp-central: whp-central, 2024-12"
    assert texts_of(page, ".app-statement__totals dd")[2].startswith("£50,000.00")
    lines = texts_of(page, ".app-statement__lines tbody tr")
    assert len(lines) == 10
    assert all(
        " C" in line and "Earnings outcome" in line and "£5,000.00" in line for line in lines
    )
    download = finance.client.get(
        "/finance/statements.csv?contract=whp-central&month=2024-12&provider=prov-whp-central"
    )
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert sorted(r["referral_id"] for r in rows if r["kind"] == "payment") == CAMDEN[:10]
    printable = finance.client.get(
        "/finance/statements.html?contract=whp-central&month=2024-12&provider=prov-whp-central"
    )
    assert printable.text.count('<tr class="payment">') == 10

    _, page = finance.get("/finance/reconciliation")
    assert text_of(page, "#reconciliation-status").startswith("Balanced")
    assert texts_of(page, "#reconciliation-contracts tbody tr") == [
        "whp-central 10 £50,000.00 10 £50,000.00"
    ]

    _, page = finance.get("/finance/payments?q=C03")
    [found] = texts_of(page, "#payments-found tbody tr")
    assert "whp-central (prov-whp-central) C03" in found
    assert found.endswith("£5,000.00")


async def test_what_if_a_bigger_llw_uplift(
    browser: Browser, add_user: AddUser, pipeline: InProcessPipeline, web_database: str
) -> None:
    commissioner = await signed_in(browser, add_user, "commissioner:central")
    before = await _counts(web_database)

    _, page = commissioner.get("/what-if?contract=whp-central&replay=1&llw-uplift=40")

    assert text_of(page, "#what-if-result") == "14 participants of whp-central replayed"
    assert texts_of(page, "#what-if-summary dd") == ["£50,000.00", "£56,000.00", "£6,000.00", "10"]
    assert "Earnings outcome £50,000.00 £56,000.00 £6,000.00 £50,000.00" in texts_of(
        page, "#by-milestone tbody tr"
    )
    assert len(texts_of(page, "#what-if-changes tbody tr")) == 10
    assert await _counts(web_database) == before  # nothing written


async def test_what_if_refuses_what_is_not_money(
    browser: Browser, add_user: AddUser, pipeline: InProcessPipeline
) -> None:
    commissioner = await signed_in(browser, add_user, "commissioner:central")

    _, page = commissioner.get("/what-if?contract=whp-central&replay=1&price-earnings_outcome=lots")

    assert text_of(page, ".govuk-error-summary") == (
        "There is a problem Enter the price of earnings_outcome in pounds"
    )
    assert page.select_one("#what-if-result") is None


async def _counts(database_url: str) -> tuple[int, ...]:
    conn = await asyncpg.connect(database_url)
    try:
        return tuple(
            [
                int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
                for table in ("payments.payments", "payments.outbox", "views.payments",
                              "sustainment.milestones", "sustainment.outbox")
            ]
        )  # fmt: skip
    finally:
        await conn.close()


PAGES = ["/outcomes", "/outcomes.csv", "/outcomes/cohorts", "/outcomes/cohorts.csv",
         "/minimum-wage", "/minimum-wage.csv", "/what-if", "/finance/statements",
         "/finance/statements.csv", "/finance/statements.html", "/finance/reconciliation",
         "/finance/payments", "/ops"]  # fmt: skip


async def test_a_provider_adviser_is_told_these_pages_do_not_exist(
    browser: Browser, add_user: AddUser, empty_read_model: None
) -> None:
    adviser = await signed_in(browser, add_user, "provider:prov-whp-central")

    for path in PAGES:
        status, page = adviser.get(path)
        assert status == 404, path
        assert text_of(page, "h1") == "Page not found"
    assert texts_of(page, ".govuk-service-navigation__item") == ["Caseload"]


async def test_each_role_sees_only_its_pages(
    browser: Browser, add_user: AddUser, empty_read_model: None
) -> None:
    enforcement = await signed_in(browser, add_user, "enforcement:camden")
    assert enforcement.get("/minimum-wage")[0] == 200
    for path in ("/outcomes", "/what-if", "/finance/statements", "/ops"):
        assert enforcement.get(path)[0] == 404, path
    _, page = enforcement.get("/minimum-wage")
    assert texts_of(page, ".govuk-service-navigation__item") == ["Minimum wage"]
