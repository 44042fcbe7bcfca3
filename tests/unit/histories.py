"""Generated provider histories for order-independence tests (hypothesis strategies).

A history is a list of *streams*, one per key (a referral, a placement, an evidence id),
each in the order its producer sends it. :func:`interleave` merges the streams in any
order that keeps each stream's own order -- what Kafka guarantees, and all it does.

Histories cover: two contracts (whp-central, pioneer-central: outcome and sustained
prices, LLW uplifts), two eligibility groups, employed and self-employed placements,
wages above and below the LLW, several placements per participant, leavers before and
after job starts (so withdrawals), evidence with corrections (higher versions), stale
and equal versions, retractions, late self-employment claims (``claim_late``), and
invalid evidence. Evidence and job ends name only placements that start on or before
the leaver date (see the report: evidence of a withdrawn placement is the one residual
difference, in rejections only).

:func:`rival_histories` adds rule book v3 §4: one person (one NINO) with two referrals,
on the same or two contracts, each started on a close date (ties broken by referral date,
then ids), each with its own placements and evidence -- so whichever start arrives
second either is ``already_started`` or displaces the first. Their streams are *plain*:
no leaver, no conflicting or other provider's re-sends of a job start or evidence,
because for the start that loses those would be held in one order and decided in the
other (the residual of withdrawn placements, in rejections after the hold time only).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from schemas.base import Event
from schemas.common import EligibilityGroup, EmploymentType, EvidenceKind
from schemas.provider import (
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from tests.builders import REPEATABLE

NINOS = ("AB123456C", "CE654321A", "JK112233B")
CONTRACTS = ("whp-central", "pioneer-central")
PERIOD_DAYS = 35

Stream = list[Event]


@st.composite
def histories(draw: st.DrawFn, max_participants: int = 2) -> list[Stream]:
    streams: list[Stream] = []
    for n in range(draw(st.integers(1, max_participants))):
        streams.extend(draw(participant_streams(n)))
    return streams


@st.composite
def participant_streams(draw: st.DrawFn, n: int) -> list[Stream]:
    contract = draw(st.sampled_from(CONTRACTS))
    provider = f"prov-{contract}"
    ref = f"ref-{n}"
    start = date(2024, 4, 1) + timedelta(days=draw(st.integers(0, 14)))
    group = draw(
        st.sampled_from([EligibilityGroup.DISABILITY, EligibilityGroup.LONG_TERM_UNEMPLOYED])
    )
    leaver = draw(st.none() | st.integers(20, 240).map(lambda d: start + timedelta(days=d)))
    intake: Stream = [
        REPEATABLE.referral(
            ref, nino=NINOS[n], provider_id=provider, contract_id=contract, eligibility_group=group
        ),
        REPEATABLE.programme_start(ref, start_date=start, provider_id=provider),
    ]
    if leaver is not None:
        intake.append(REPEATABLE.programme_end(ref, end_date=leaver, provider_id=provider))
    streams = [intake]
    for j in range(draw(st.integers(1, 2))):
        pid = f"plc-{n}-{j}"
        employed = draw(st.booleans() | st.just(True))
        job_date = start + timedelta(days=draw(st.integers(0, 90)))
        kind = EmploymentType.EMPLOYED if employed else EmploymentType.SELF_EMPLOYED
        wage = draw(st.sampled_from([1200, 1400])) if employed else None
        job: Stream = [
            REPEATABLE.job_start(
                pid,
                referral_id=ref,
                job_start_date=job_date,
                hourly_wage_pence=wage,
                employment_type=kind,
                provider_id=provider,
            )
        ]
        countable = leaver is None or job_date <= leaver
        # a conflicting re-send of a job start that is withdrawn later is a residual
        resends = ["", "", "", "same", "foreign"] + (["conflict"] if countable else [])
        resend = draw(st.sampled_from(resends))
        # the same again (ignored), other content (invalid_job), another provider's job start
        # under the same ids (its own unknown referral, v3 §9: unknown_participant)
        if resend:
            job.append(
                REPEATABLE.job_start(
                    pid,
                    referral_id=ref,
                    job_start_date=job_date + timedelta(days=resend == "conflict"),
                    hourly_wage_pence=wage,
                    employment_type=kind,
                    provider_id="prov-whp-west" if resend == "foreign" else provider,
                    tag=f"again-{resend}",
                )
            )
        if countable and draw(st.booleans()) and draw(st.booleans()):
            job.append(
                REPEATABLE.job_end(
                    pid, end_date=job_date + timedelta(days=200), provider_id=provider
                )
            )
        streams.append(job)
        if countable:
            streams.extend(draw(evidence_streams(pid, job_date, employed, provider)))
    return streams


@st.composite
def rival_histories(draw: st.DrawFn) -> list[Stream]:
    """Ordinary participants and one person with two rival programme starts (§4 v3)."""
    streams: list[Stream] = draw(histories(max_participants=1))
    nino = NINOS[2]
    for suffix in ("a", "b"):
        streams.extend(draw(rival_start_streams(f"rival-{suffix}", nino)))
    return streams


@st.composite
def rival_start_streams(draw: st.DrawFn, ref: str, nino: str) -> list[Stream]:
    """One referral of ``nino`` started, with plain placements and evidence."""
    contract = draw(st.sampled_from(CONTRACTS))
    provider = f"prov-{contract}"
    referral_date = date(2024, 3, 18) + timedelta(days=draw(st.integers(0, 1)))
    start = date(2024, 4, 1) + timedelta(days=draw(st.integers(0, 2)))
    streams: list[Stream] = [
        [
            REPEATABLE.referral(
                ref,
                nino=nino,
                provider_id=provider,
                contract_id=contract,
                referral_date=referral_date,
            ),
            REPEATABLE.programme_start(ref, start_date=start, provider_id=provider),
        ]
    ]
    for j in range(draw(st.integers(1, 2))):
        pid = f"plc-{ref}-{j}"
        employed = draw(st.booleans() | st.just(True))
        job_date = start + timedelta(days=draw(st.integers(0, 60)))
        kind = EmploymentType.EMPLOYED if employed else EmploymentType.SELF_EMPLOYED
        wage = draw(st.sampled_from([1200, 1400])) if employed else None
        job = REPEATABLE.job_start(
            pid,
            referral_id=ref,
            job_start_date=job_date,
            hourly_wage_pence=wage,
            employment_type=kind,
            provider_id=provider,
        )
        streams.append([job])
        streams.extend(draw(evidence_streams(pid, job_date, employed, provider, plain=True)))
    return streams


@st.composite
def evidence_streams(
    draw: st.DrawFn, pid: str, job_date: date, employed: bool, provider: str, plain: bool = False
) -> list[Stream]:
    streams: list[Stream] = []
    kind = EvidenceKind.PAYSLIP if employed else EvidenceKind.SELF_EMPLOYMENT
    pieces = st.integers(0, 6) if employed else st.sampled_from([4, 6, 6, 7])
    for k in range(draw(pieces)):
        first = job_date + timedelta(days=PERIOD_DAYS * k)
        last = first + timedelta(days=PERIOD_DAYS - 1)
        eid = f"ev-{pid}-{k}"

        def piece(
            version: int,
            pence: int,
            hours: str,
            late: bool,
            *,
            eid: str = eid,
            first: date = first,
            last: date = last,
        ) -> Event:
            return REPEATABLE.evidence(
                eid,
                first,
                last,
                pence,
                hours=Decimal(hours),
                placement_id=pid,
                version=version,
                kind=kind,
                reported_on=last + timedelta(days=120 if late else 3),
                provider_id=provider,
            )

        pence = st.sampled_from([0, 90_000, 160_000, 240_000])
        hours = st.sampled_from(["40", "80", "100", "80", "100", "40", "80", "80.505"])
        late = st.sampled_from([False, False, True])  # True: claimed after 120 days
        stream: Stream = [piece(1, draw(pence), draw(hours), draw(late))]
        for version in range(2, 2 + draw(st.integers(0, 2))):
            # corrections; sometimes a stale or equal version
            v = draw(st.sampled_from([version, version, 1]))
            stream.append(piece(v, draw(pence), draw(hours), draw(late)))
        if not plain and draw(st.integers(0, 7)) == 0:  # another provider's id: unknown_placement
            foreign = piece(9, draw(pence), "80", False)
            stream.append(foreign.model_copy(update={"provider_id": "prov-whp-west"}))
        if draw(st.integers(0, 9)) == 0:
            stream.append(REPEATABLE.retraction(eid, provider_id=provider))
        streams.append(stream)
    return streams


@st.composite
def interleavings(draw: st.DrawFn, streams: list[Stream]) -> list[Event]:
    """Any merge of the streams that keeps each stream's own order."""
    slots = [i for i, stream in enumerate(streams) for _ in stream]
    order = draw(st.permutations(slots))
    return interleave(streams, order)


def interleave(streams: list[Stream], order: list[int]) -> list[Event]:
    taken = [0] * len(streams)
    merged: list[Event] = []
    for i in order:
        merged.append(streams[i][taken[i]])
        taken[i] += 1
    return merged


EVIDENCE = (EvidenceSubmitted, EvidenceRetracted)
PLACEMENTS = (JobStarted, JobEnded)
INTAKE = (ReferralMade, ProgrammeStarted, ProgrammeEnded)


def topic_order(streams: list[Stream], *families: tuple[type[Event], ...]) -> list[Event]:
    """Whole topics one after the other (e.g. all evidence, then placements, then intake),
    each stream's own order kept."""
    return [e for kinds in families for stream in streams for e in stream if isinstance(e, kinds)]
