"""Intake rules (domain.md §4, §9): NINOs, ages, referrals and programme starts.

Pure functions: no I/O, no clock. A rule failure is a :class:`Rejection`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from schemas.common import AgeBand, EligibilityGroup, RejectionReason
from schemas.provider import ProgrammeEnded, ProgrammeStarted, ReferralMade
from services.common.boroughs import locate_borough, normalise_place_name
from services.common.decisions import ACCEPT, IGNORE, Accept, Hold, Ignore, behind_held
from services.common.provider_keys import release_key
from services.common.reference import Contract, ContractBook
from services.common.rejection import Rejection

_NINO_SHAPE = re.compile(r"[A-Z]{2}[0-9]{6}[A-D]")
_FORBIDDEN_PREFIX_LETTERS = frozenset("DFIQUV")
_FORBIDDEN_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_EVENT_ENVELOPE = frozenset({"event_id", "produced_at"})

WORKING_AGE_FROM = 16
WORKING_AGE_BELOW = 66


def normalise_nino(raw: str) -> str | None:
    """The NINO in upper case without whitespace, or None if it is not valid.

    Valid: two prefix letters, six digits, suffix A-D; neither prefix letter is D, F,
    I, Q, U or V; the second is not O; the prefix is not BG, GB, KN, NK, NT, TN, ZZ.
    Any whitespace (not only spaces) is ignored.
    """
    nino = "".join(raw.split()).upper()
    if not _NINO_SHAPE.fullmatch(nino):
        return None
    prefix = nino[:2]
    if _FORBIDDEN_PREFIX_LETTERS.intersection(prefix) or prefix[1] == "O":
        return None
    if prefix in _FORBIDDEN_PREFIXES:
        return None
    return nino


def mask_nino(raw: str) -> str:
    """A NINO safe to show: only its first two characters, the rest as asterisks."""
    compact = "".join(raw.split())
    shown = 2 if len(compact) > 4 else 0
    return compact[:shown] + "*" * (len(compact) - shown)


def participant_id_for(normalised_nino: str, key: bytes) -> str:
    """The pseudonymous participant id: hex HMAC-SHA256 of the normalised NINO."""
    if not key:
        raise ValueError("the participant id key must not be empty")
    return hmac.new(key, normalised_nino.encode("utf-8"), hashlib.sha256).hexdigest()


def age_on(date_of_birth: date, on: date) -> int:
    """Age in completed years on ``on``; a 29 February birthday counts from 1 March."""
    birthday_not_yet = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(birthday_not_yet)


def age_band(age: int) -> AgeBand:
    """The band of a working-age person: 16-24, 25-49, 50+."""
    if age < WORKING_AGE_FROM:
        raise ValueError(f"age {age} is below working age")
    if age < 25:
        return AgeBand.YOUNG
    if age < 50:
        return AgeBand.MIDDLE
    return AgeBand.OLDER


def check_referral(referral: ReferralMade, contracts: ContractBook) -> Rejection | None:
    """The first rule a referral breaks, in domain.md order, or None.

    Order: ``invalid_nino``, ``not_working_age`` (16 <= age < 66 on the referral
    date), then the contract rules. An unknown contract is ``provider_not_on_contract``
    and is reported *before* the borough rule, because without a contract there is
    no sub-region to check the borough against. For a known contract:
    ``borough_outside_contract``, then ``provider_not_on_contract``. A blank borough
    (nothing but spaces and hyphens) names no place: ``borough_outside_contract``.

    Before all of them, an ``early_access`` referral without a sub-group is
    ``invalid_schema`` (§10 "Schema"). ``already_started`` and ``conflicting_referral``
    need stored state: :func:`decide_referral`, :func:`decide_start`.
    """
    if (
        referral.eligibility_group is EligibilityGroup.EARLY_ACCESS
        and not (referral.eligibility_subgroup or "").strip()
    ):
        return Rejection(
            RejectionReason.INVALID_SCHEMA,
            "eligibility_subgroup is required when eligibility_group is early_access",
        )
    if normalise_nino(referral.nino) is None:
        return Rejection(
            RejectionReason.INVALID_NINO,
            f"nino {mask_nino(referral.nino)!r} is not a valid National Insurance number",
        )
    age = age_on(referral.date_of_birth, referral.referral_date)
    if not WORKING_AGE_FROM <= age < WORKING_AGE_BELOW:
        return Rejection(
            RejectionReason.NOT_WORKING_AGE,
            f"date_of_birth gives age {age} on referral_date {referral.referral_date}; "
            f"working age is {WORKING_AGE_FROM} to {WORKING_AGE_BELOW - 1}",
        )
    contract = contracts.get(referral.contract_id)
    if contract is None:
        return Rejection(
            RejectionReason.PROVIDER_NOT_ON_CONTRACT,
            f"contract_id {referral.contract_id!r} is not a known contract",
        )
    borough_rejection = _check_borough(referral.borough, contract)
    if borough_rejection is not None:
        return borough_rejection
    if referral.provider_id != contract.provider_id:
        return Rejection(
            RejectionReason.PROVIDER_NOT_ON_CONTRACT,
            f"provider_id {referral.provider_id!r} does not hold contract {contract.contract_id!r}",
        )
    return None


def _check_borough(borough: str, contract: Contract) -> Rejection | None:
    if not normalise_place_name(borough):
        return Rejection(
            RejectionReason.BOROUGH_OUTSIDE_CONTRACT, f"borough {borough!r} names no place"
        )
    sub_region, name = locate_borough(borough)
    if sub_region != contract.sub_region:
        return Rejection(
            RejectionReason.BOROUGH_OUTSIDE_CONTRACT,
            f"borough {name!r} is in sub-region {sub_region}, but contract "
            f"{contract.contract_id!r} covers {contract.sub_region}",
        )
    return None


def check_start(referral_date: date, start_date: date, contract: Contract) -> Rejection | None:
    """``start_before_referral``, then ``start_outside_contract`` (inclusive period)."""
    if start_date < referral_date:
        return Rejection(
            RejectionReason.START_BEFORE_REFERRAL,
            f"start_date {start_date} is before referral_date {referral_date}",
        )
    if not contract.starts_from <= start_date <= contract.starts_until:
        return Rejection(
            RejectionReason.START_OUTSIDE_CONTRACT,
            f"start_date {start_date} is outside contract {contract.contract_id!r} start "
            f"period {contract.starts_from} to {contract.starts_until}",
        )
    return None


def same_referral_content(a: ReferralMade, b: ReferralMade) -> bool:
    """True for a re-send: every field equal except ``event_id`` and ``produced_at``.

    The NINO and the borough are compared as the rule book reads them (NINO: spaces
    ignored, case folded; borough: the §9 normalisation), so "ab 12 34 56 c" and
    "AB123456C" are the same content. Everything else is compared exactly.
    """
    return _referral_content(a) == _referral_content(b)


def _referral_content(referral: ReferralMade) -> dict[str, object]:
    content = referral.model_dump(exclude=set(_EVENT_ENVELOPE))
    content["nino"] = normalise_nino(referral.nino) or referral.nino
    content["borough"] = normalise_place_name(referral.borough)
    return content


class ParticipantOfReferral(TypedDict):
    """The fields every participants event starts with (``Event(**state.about(), ...)``)."""

    participant_id: str
    referral_id: str
    provider_id: str
    contract_id: str


@dataclass(frozen=True)
class ReferralState:
    """What intake keeps about an accepted referral."""

    referral: ReferralMade
    participant_id: str
    start_date: date | None = None
    end_date: date | None = None

    def about(self) -> ParticipantOfReferral:
        """Who a participants event is about: the person, their referral and contract."""
        return ParticipantOfReferral(
            participant_id=self.participant_id,
            referral_id=self.referral.referral_id,
            provider_id=self.referral.provider_id,
            contract_id=self.referral.contract_id,
        )


def decide_referral(
    referral: ReferralMade, stored: ReferralMade | None, contracts: ContractBook
) -> Rejection | Ignore | Accept:
    """The rules of :func:`check_referral` (a rejected referral does not use up its id),
    then: the same referral_id with the same content is a re-send (ignored), with other
    content ``conflicting_referral``."""
    rejection = check_referral(referral, contracts)
    if rejection is not None:
        return rejection
    if stored is None:
        return ACCEPT
    if same_referral_content(stored, referral):
        return IGNORE
    return Rejection(
        RejectionReason.CONFLICTING_REFERRAL,
        f"referral_id {referral.referral_id!r} was already referred with other content",
    )


@dataclass(frozen=True)
class StartClaim:
    """A programme start as the one-start-per-person rule compares it (§4, §9)."""

    start_date: date
    referral_date: date
    provider_id: str
    referral_id: str

    @property
    def precedence(self) -> tuple[date, date, str, str]:
        """Earlier start date first; ties: earlier referral date, then the lower
        referral id, the provider id first (ids are per provider, §9)."""
        return (self.start_date, self.referral_date, self.provider_id, self.referral_id)


def precedes(a: StartClaim, b: StartClaim) -> bool:
    """True when ``a`` is the person's start rather than ``b``."""
    return a.precedence < b.precedence


def person_start(claims: Iterable[StartClaim]) -> StartClaim | None:
    """The one start a person has among valid starts: the first by precedence (§4)."""
    return min(claims, key=lambda c: c.precedence, default=None)


@dataclass(frozen=True)
class Displace:
    """Accept the start, and displace the person's standing start (§4, version 3): from
    now on that one counts for nothing, as if it had been rejected ``already_started``."""

    displaced: StartClaim


def decide_start(
    start: ProgrammeStarted,
    stored: ReferralState | None,
    standing: StartClaim | None,
    contracts: ContractBook,
    *,
    held_before: Sequence[str] = (),
) -> Rejection | Hold | Ignore | Accept | Displace:
    """What to do with a programme start (§4, §9, §10).

    An earlier start or leaver of the referral held for it: held behind it (arrival
    order within the referral, :func:`behind_held`; ``held_before`` is what those wait
    for). The referral unknown: held until ``referral:<provider_id>:<id>`` (ids are the
    provider's own, §9: another provider's referral of that id is not this one). Then
    ``provider_mismatch``; this referral already started: the same date again is ignored,
    another date is ``already_started`` (one key: the provider's own order decides); then
    :func:`check_start`. A start that breaks no rule of its own is compared with the
    person's ``standing`` start (recorded under another referral): the one that
    :func:`precedes` stands, so this start is ``already_started`` or it displaces the
    standing one -- whichever arrived first, the same start stands. (A start that breaks
    a rule of its own keeps that reason whatever else arrived: judged as a set, §10.)
    """
    own = (start.provider_id, start.referral_id)
    behind = behind_held(held_before, releases=release_key("started", *own))
    if behind is not None:
        return behind
    if stored is None:
        return Hold(release_key("referral", *own))
    referral = stored.referral
    if referral.provider_id != start.provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"referral {start.referral_id!r} belongs to another provider",
        )
    if stored.start_date is not None:
        if stored.start_date == start.start_date:
            return IGNORE
        return Rejection(
            RejectionReason.ALREADY_STARTED,
            f"referral {start.referral_id!r} already started on {stored.start_date}",
        )
    contract = contracts.get(referral.contract_id)
    if contract is None:
        return Rejection(
            RejectionReason.PROVIDER_NOT_ON_CONTRACT,
            f"contract_id {referral.contract_id!r} is not a known contract",
        )
    rejection = check_start(referral.referral_date, start.start_date, contract)
    if rejection is not None:
        return rejection
    claim = StartClaim(
        start.start_date, referral.referral_date, referral.provider_id, referral.referral_id
    )
    return decide_one_start(claim, standing)


def decide_one_start(
    claim: StartClaim, standing: StartClaim | None
) -> Rejection | Accept | Displace:
    """A valid start against the person's standing start (§4): the first by
    :func:`precedes` is the person's one start."""
    if standing is None or standing == claim:
        return ACCEPT
    if precedes(standing, claim):
        return Rejection(
            RejectionReason.ALREADY_STARTED,
            f"this person started the programme {_first_start(standing, claim.provider_id)}",
        )
    return Displace(standing)


def displaced_message(winner: StartClaim, provider_id: str) -> str:
    """What the provider of a displaced start is told (``already_started``)."""
    return f"this start is displaced: the person started {_first_start(winner, provider_id)}"


def _first_start(first: StartClaim, told: str) -> str:
    """The start that comes first, as the provider ``told`` may read it: another
    provider's referral id is not named (ids are per provider, §9)."""
    under = f" under referral {first.referral_id!r}" if first.provider_id == told else ""
    return f"on {first.start_date}{under}, which comes first (earliest start date)"


def decide_end(
    end: ProgrammeEnded, stored: ReferralState | None, *, held_before: Sequence[str] = ()
) -> Rejection | Hold | Ignore | Accept:
    """What to do with a leaver (§4, §9).

    An earlier start or leaver of the referral held: held behind it (arrival order: the
    first of two leaver dates stands). Not started yet: held until ``started:<id>``.
    Then ``provider_mismatch``;
    ``invalid_period`` (end before the start); a second, different leaver date
    ``after_programme_end``; the same leaver date again is ignored.
    """
    behind = behind_held(held_before)
    if behind is not None:
        return behind
    if stored is None or stored.start_date is None:
        return Hold(release_key("started", end.provider_id, end.referral_id))
    if stored.referral.provider_id != end.provider_id:
        return Rejection(
            RejectionReason.PROVIDER_MISMATCH,
            f"referral {end.referral_id!r} belongs to another provider",
        )
    if end.end_date < stored.start_date:
        return Rejection(
            RejectionReason.INVALID_PERIOD,
            f"end_date {end.end_date} is before the programme start {stored.start_date}",
        )
    if stored.end_date is not None:
        if stored.end_date == end.end_date:
            return IGNORE
        return Rejection(
            RejectionReason.AFTER_PROGRAMME_END,
            f"referral {end.referral_id!r} already left on {stored.end_date}",
        )
    return ACCEPT
