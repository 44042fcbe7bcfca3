"""The caseload and the participant timeline as an adviser reads them, over a read model
filled by the five real handlers from provider events (tests/web/pipeline.py).

The story (contract whp-central, programme start Monday 1 April 2024, NLW 1144p so the
earnings threshold is 416 x 1144 = 475,904p): REF-A starts a job on 15 April 2024 at
£14.00 an hour for 37.5 hours (7,500p a day); REF-B has no job; REF-W belongs to another
provider. Today is 1 June 2024.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import asyncpg
import pytest
from bs4 import BeautifulSoup

from services.intake.domain import participant_id_for
from tests.builders import evidence, job_start, programme_start, referral, retraction
from tests.integration.conftest import PARTICIPANT_KEY, ServiceStarter
from tests.web.conftest import AddUser, Browser, text_of, texts_of
from tests.web.pipeline import InProcessPipeline, start_pipeline

pytestmark = pytest.mark.integration

NINO_A, NINO_B, NINO_W = "AB123456C", "AB654321C", "CE112233A"
ID_A = participant_id_for(NINO_A, PARTICIPANT_KEY)
ID_B = participant_id_for(NINO_B, PARTICIPANT_KEY)
ID_W = participant_id_for(NINO_W, PARTICIPANT_KEY)


@pytest.fixture
def today() -> date:
    return date(2024, 6, 1)


@pytest.fixture
async def pipeline(start_service: ServiceStarter) -> InProcessPipeline:
    pipeline = await start_pipeline(start_service)
    await pipeline.publish(
        referral("REF-A", nino=NINO_A),
        programme_start("REF-A"),
        referral("REF-B", nino=NINO_B),
        programme_start("REF-B"),
        referral(
            "REF-W",
            nino=NINO_W,
            provider_id="prov-whp-west",
            contract_id="whp-west",
            borough="Brent",
        ),
        programme_start("REF-W", provider_id="prov-whp-west"),
        job_start("PLC-A", referral_id="REF-A"),
    )
    return pipeline


@pytest.fixture
async def adviser(browser: Browser, add_user: AddUser, pipeline: InProcessPipeline) -> Browser:
    await add_user("ada", "provider:prov-whp-central")
    browser.sign_in("ada")
    return browser


def rows_of(page: BeautifulSoup) -> list[str]:
    return texts_of(page, "table.app-caseload tbody tr")


async def test_the_caseload_shows_exactly_the_providers_participants(adviser: Browser) -> None:
    status, page = adviser.get("/caseload")

    assert status == 200
    assert text_of(page, "#caseload-count") == "2 participants"
    assert texts_of(page, "table.app-caseload thead th") == [
        "Referral ID",
        "Participant ID",
        "Borough",
        "Group",
        "Age band",
        "Stage",
        "Current job",
        "Next milestone",
        "Projected date",
        "Days left in window",
        "Evidence due since",
        "Held or rejected",
    ]
    # Earnings outcome: 475,904p at 7,500p a day from 15 April is the 64th day, 17 June.
    # Evidence is due 35 days after the job start without evidence: since 20 May.
    # The window's last day is 1 April 2024 + 637 days = 29 December 2025: 576 days left.
    assert rows_of(page) == [
        f"REF-A {ID_A} Camden Disability 25-49 In work, Job start"
        " £14.00 an hour, 37.5 hours a week (London Living Wage)"
        " Earnings outcome 17 Jun 2024 576 20 May 2024",
        f"REF-B {ID_B} Camden Disability 25-49 Started 576",
    ]


async def test_a_payslip_moves_the_projected_date(
    adviser: Browser, pipeline: InProcessPipeline
) -> None:
    # 100,000p counted to 30 April; 375,904p more at 7,500p a day is 51 days from 1 May.
    await pipeline.publish(
        evidence("EV-1", date(2024, 4, 15), date(2024, 4, 30), 100_000, placement_id="PLC-A")
    )

    _, page = adviser.get("/caseload?q=REF-A")

    assert rows_of(page) == [
        f"REF-A {ID_A} Camden Disability 25-49 In work, Job start, First earnings"
        " £14.00 an hour, 37.5 hours a week (London Living Wage)"
        " Earnings outcome 20 Jun 2024 576"
    ]


FILTERED = {
    "stage=in_work": ["REF-A"],
    "stage=started": ["REF-B"],
    "stage=job_start": ["REF-A"],
    "stage=left": [],
    "due=1": ["REF-A"],
    "q=REF-B": ["REF-B"],
    "q=REF": ["REF-A", "REF-B"],
    "q=REF-W": [],
    "sort=projected": ["REF-A", "REF-B"],
    "sort=due&stage=in_work&due=1": ["REF-A"],
}


async def test_filters_and_search(adviser: Browser) -> None:
    for query, shown in FILTERED.items():
        _, page = adviser.get(f"/caseload?{query}")

        assert texts_of(page, "table.app-caseload tbody th") == shown, query
        count = text_of(page, "#caseload-count")
        assert count.startswith(f"{len(shown)} participant"), (query, count)


async def test_the_csv_export_is_what_the_page_shows(adviser: Browser) -> None:
    _, page = adviser.get("/caseload?stage=in_work")
    link = page.select_one("a[href^='/caseload.csv']")
    assert link is not None

    response = adviser.client.get(str(link["href"]))

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = texts_of(page, "table.app-caseload thead th")
    assert lines[0] == header
    table = [
        [" ".join(cell.get_text(" ").split()) for cell in tr.select("th, td")]
        for tr in page.select("table.app-caseload tbody tr")
    ]
    assert lines[1:] == table
    assert [line[0] for line in lines[1:]] == ["REF-A"]


async def test_the_timeline_links_a_reversal_to_its_payment(
    adviser: Browser, pipeline: InProcessPipeline
) -> None:
    # One payslip over the threshold: earnings outcome on 19 May 2024, paid £4,000 + 25%
    # London Living Wage uplift; retracted, the milestone is revoked and the payment reversed.
    await pipeline.publish(
        evidence("EV-BIG", date(2024, 4, 15), date(2024, 5, 19), 480_000, placement_id="PLC-A")
    )
    await pipeline.publish(retraction("EV-BIG"))

    status, page = adviser.get(f"/participants/{ID_A}")

    assert status == 200
    assert text_of(page, "h1") == "Referral REF-A"
    payments = page.select("#timeline [data-kind=payment]")
    reversals = page.select("#timeline [data-kind=reversal]")
    assert len(payments) == 1
    assert len(reversals) == 1
    assert "£5,000.00" in payments[0].get_text(" ")
    assert "-£5,000.00" in reversals[0].get_text(" ")
    reversal_links = [a["href"] for a in reversals[0].select("a")]
    assert f"#{payments[0]['id']}" in reversal_links
    kinds = [e["data-kind"] for e in page.select("#timeline [data-kind]")]
    assert kinds.index("payment") < kinds.index("reversal")
    assert {"evidence", "evidence_retracted", "milestone_reached", "milestone_revoked"} <= set(
        kinds
    )


async def test_another_providers_participant_and_a_guessed_id_are_not_found(
    adviser: Browser, web_database: str
) -> None:
    for path in (f"/participants/{ID_W}", "/participants/REF-W", "/participants/guessed-id"):
        status, page = adviser.get(path)
        assert status == 404, path
        assert text_of(page, "h1") == "Page not found"

    assert adviser.get(f"/participants/{ID_A}")[0] == 200
    conn = await asyncpg.connect(web_database, server_settings={"search_path": "web"})
    try:
        audit = await conn.fetch(
            "SELECT username, role, participant_id FROM participant_page_views ORDER BY view_id"
        )
    finally:
        await conn.close()
    assert [tuple(r.values()) for r in audit] == [("ada", "provider:prov-whp-central", ID_A)]


async def test_the_timeline_shows_the_projected_dates(adviser: Browser) -> None:
    _, page = adviser.get(f"/participants/{ID_A}")

    assert texts_of(page, "#projections tbody tr") == ["Earnings outcome 17 Jun 2024"]
    assert text_of(page, ".govuk-warning-text") == (
        "! Warning In-work evidence is due since 20 May 2024."
    )


async def test_other_roles_cannot_open_the_caseload(
    browser: Browser, add_user: AddUser, pipeline: InProcessPipeline
) -> None:
    await add_user("cora", "commissioner:london")
    browser.sign_in("cora")

    assert browser.get("/caseload")[0] == 403
    assert browser.get(f"/participants/{ID_A}")[0] == 403
    assert browser.get("/caseload.csv")[0] == 403


async def test_pages_of_fifty_rows(adviser: Browser, pipeline: InProcessPipeline) -> None:
    await pipeline.publish(
        *[
            event
            for n in range(50)
            for event in (
                referral(f"REF-P{n:02d}", nino=f"AB{n:06d}D"),
                programme_start(f"REF-P{n:02d}"),
            )
        ]
    )

    _, first = adviser.get("/caseload")
    _, second = adviser.get("/caseload?page=2")

    assert text_of(first, "#caseload-count") == "52 participants"
    assert len(rows_of(first)) == 50
    assert texts_of(second, "table.app-caseload tbody th") == ["REF-P48", "REF-P49"]
    assert "Next" in text_of(first, ".govuk-pagination")


async def test_no_page_names_a_nino_or_a_date_of_birth(adviser: Browser) -> None:
    for path in ("/caseload", f"/participants/{ID_A}", "/caseload.csv?all=1"):
        text = adviser.client.get(path).text
        assert NINO_A not in text
        assert "1990-05-17" not in text
        assert "17 May 1990" not in text


async def test_a_rejected_event_shows_with_its_reason_and_masked_original(
    adviser: Browser, pipeline: InProcessPipeline
) -> None:
    # A job that starts before the programme start: placement_outside_window (§9 Dates).
    await pipeline.publish(
        job_start("PLC-EARLY", referral_id="REF-B", job_start_date=date(2024, 3, 1))
    )

    _, caseload = adviser.get("/caseload?held=1")
    status, page = adviser.get(f"/participants/{ID_B}")

    assert texts_of(caseload, "table.app-caseload tbody th") == ["REF-B"]
    assert rows_of(caseload)[0].endswith(
        "Placement outside window: A job must start within 456 days of the start."
    )
    assert status == 200
    rejected = page.select_one("#timeline [data-kind=rejected]")
    assert rejected is not None
    original = rejected.select_one("code.app-original")
    assert original is not None
    assert '"placement_id":"PLC-EARLY"' in original.get_text()
    assert '"job_start_date":"2024-03-01"' in original.get_text()
    assert text_of(page, "#attention").startswith("Placement outside window")
