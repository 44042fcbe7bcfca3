"""One multi-participant history that exercises every v2 change, as per-key streams.

- ``ref-0`` (whp-central): the outcome job changes when a correction arrives (LLW uplift
  500,000 -> 400,000), and a self-employment outcome reached later is superseded.
- ``ref-1`` (pioneer-central): a first placement arriving late changes the sustained
  uplift (110,000 -> 100,000); job_start's date moves, its amount does not.
- ``ref-2`` (pioneer-central): a job start after the leaver date -- withdrawn or rejected.
- ``ref-3`` (whp-central): a self-employment claim made late by a correction (claim_late).
- ``ref-4`` (whp-central): the crossing payslip retracted (no earnings outcome).
- bad input: evidence with a bad period and hours with three decimals for unknown
  placements (rejected at once), an evidence version from another provider.
"""

from __future__ import annotations

from datetime import date, timedelta

from schemas.common import EmploymentType, EvidenceKind
from tests.builders import REPEATABLE
from tests.unit.histories import Stream

PIONEER = "prov-pioneer-central"


def _intake(n: int, nino: str, *, pioneer: bool = False, leaver: date | None = None) -> Stream:
    contract = "pioneer-central" if pioneer else "whp-central"
    provider = f"prov-{contract}"
    stream: Stream = [
        REPEATABLE.referral(f"ref-{n}", nino=nino, contract_id=contract, provider_id=provider),
        REPEATABLE.programme_start(f"ref-{n}", provider_id=provider),
    ]
    if leaver is not None:
        stream.append(REPEATABLE.programme_end(f"ref-{n}", end_date=leaver, provider_id=provider))
    return stream


def _self_employment(ref: str, pid: str, *, late_correction: bool = False) -> list[Stream]:
    start = date(2024, 4, 1)
    streams: list[Stream] = [
        [
            REPEATABLE.job_start(
                pid,
                referral_id=ref,
                employment_type=EmploymentType.SELF_EMPLOYED,
                job_start_date=start,
            )
        ]
    ]
    for n in range(6):
        first = start + timedelta(days=31 * n)
        stream: Stream = [
            REPEATABLE.evidence(
                f"{pid}-se-{n}",
                first,
                first + timedelta(days=30),
                50_000,
                placement_id=pid,
                kind=EvidenceKind.SELF_EMPLOYMENT,
            )
        ]
        if late_correction and n == 5:
            stream.append(
                REPEATABLE.evidence(
                    f"{pid}-se-{n}",
                    first,
                    first + timedelta(days=30),
                    50_000,
                    placement_id=pid,
                    kind=EvidenceKind.SELF_EMPLOYMENT,
                    version=2,
                    reported_on=date(2025, 3, 1),
                )
            )
        streams.append(stream)
    return streams


def journey_streams() -> list[Stream]:
    streams: list[Stream] = []
    # ref-0: outcome job change, and exclusivity by reached date
    streams.append(_intake(0, "AB123456C"))
    streams.append([REPEATABLE.job_start("p0-a", referral_id="ref-0", hourly_wage_pence=1200)])
    streams.append(
        [REPEATABLE.job_start("p0-b", referral_id="ref-0", job_start_date=date(2024, 4, 20))]
    )
    streams.append(
        [
            REPEATABLE.evidence(
                "e0-a", date(2024, 5, 15), date(2024, 6, 14), 300_000, placement_id="p0-a"
            ),
            REPEATABLE.evidence(
                "e0-a",
                date(2024, 5, 15),
                date(2024, 6, 14),
                480_000,
                placement_id="p0-a",
                version=2,
            ),
        ]
    )
    streams.append(
        [
            REPEATABLE.evidence(
                "e0-b", date(2024, 6, 15), date(2024, 7, 14), 200_000, placement_id="p0-b"
            ),
            REPEATABLE.evidence(  # another provider: provider_mismatch, changes nothing
                "e0-b",
                date(2024, 6, 15),
                date(2024, 7, 14),
                9,
                placement_id="p0-b",
                version=2,
                provider_id="prov-whp-west",
            ),
        ]
    )
    streams.extend(_self_employment("ref-0", "p0-s"))
    # ref-1: a later-arriving first placement changes the sustained uplift
    streams.append(_intake(1, "CE654321A", pioneer=True))
    streams.append(
        [
            REPEATABLE.job_start(
                "p1-b", referral_id="ref-1", job_start_date=date(2024, 4, 22), provider_id=PIONEER
            )
        ]
    )
    for n in range(13):
        streams.append(
            [
                REPEATABLE.evidence(
                    f"e1-w{n:02d}",
                    date(2024, 4, 22) + timedelta(weeks=n),
                    date(2024, 4, 28) + timedelta(weeks=n),
                    30_000,
                    hours="20",
                    placement_id="p1-b",
                    provider_id=PIONEER,
                )
            ]
        )
    streams.append(
        [
            REPEATABLE.job_start(
                "p1-a",
                referral_id="ref-1",
                hourly_wage_pence=1200,
                job_start_date=date(2024, 4, 15),
                provider_id=PIONEER,
            )
        ]
    )
    # ref-2: a job start after the leaver date
    streams.append(_intake(2, "JK112233B", pioneer=True, leaver=date(2024, 5, 31)))
    streams.append(
        [
            REPEATABLE.job_start(
                "p2-a", referral_id="ref-2", job_start_date=date(2024, 6, 3), provider_id=PIONEER
            )
        ]
    )
    # ref-3: a late claim by correction
    streams.append(_intake(3, "LM445566D"))
    streams.extend(_self_employment("ref-3", "p3-s", late_correction=True))
    # ref-4: the crossing payslip retracted
    streams.append(_intake(4, "PR778899A"))
    streams.append([REPEATABLE.job_start("p4-a", referral_id="ref-4")])
    streams.append(
        [
            REPEATABLE.evidence(
                "e4-1", date(2024, 4, 15), date(2024, 5, 14), 250_000, placement_id="p4-a"
            )
        ]
    )
    streams.append(
        [
            REPEATABLE.evidence(
                "e4-2", date(2024, 5, 15), date(2024, 6, 14), 250_000, placement_id="p4-a"
            ),
            REPEATABLE.retraction("e4-2"),
        ]
    )
    # bad input, checked before any hold
    streams.append(
        [
            REPEATABLE.evidence(
                "bad-period", date(2024, 6, 14), date(2024, 5, 15), 1, placement_id="nowhere"
            )
        ]
    )
    streams.append(
        [
            REPEATABLE.evidence(
                "bad-hours",
                date(2024, 5, 15),
                date(2024, 6, 14),
                1,
                hours="1.505",
                placement_id="nowhere",
            )
        ]
    )
    return streams
