"""Hostile provider messages, interleaved with a valid feed (pure: no I/O, deterministic).

Each hostile message carries its kind and what it may legitimately become:
``reject`` (a rejection must name it), ``keep`` (accepted, held or a duplicate no-op) or
``any`` (either, as long as it is accounted for). Messages that break rules refer to a
small *hostile world* of their own (referrals, starts and placements with ``fz-`` ids and
NINOs the valid feed does not use), so that accepted hostile input can never touch the
valid feed's participants; the exceptions are the attacks on the valid feed itself
(same ``event_id`` with other content, re-sends: rejected or no-ops; other providers'
events naming the feed's ids, which name their own unknown entities since domain.md v3
§9: held).
"""

from __future__ import annotations

import importlib
import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from schemas.provider import (
    ReferralMade,
)
from schemas.topics import PROVIDER_EVIDENCE, PROVIDER_INTAKE, PROVIDER_PLACEMENTS, TopicSpec
from tools.feed.generate import FeedItem

Expect = Literal["reject", "keep", "any"]
Json = dict[str, Any]

DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024


def max_message_bytes() -> int:
    """The services' inbound size limit (bounds module), or a default until it exists."""
    for module in ("schemas.bounds", "services.common.codec", "services.common.settings"):
        try:
            found = getattr(importlib.import_module(module), "MAX_MESSAGE_BYTES", None)
        except ImportError:
            continue
        if found is not None:
            return int(found)
    return DEFAULT_MAX_MESSAGE_BYTES


@dataclass(frozen=True)
class Hostile:
    """One hostile message for ``provider_id``'s topic of the kind ``spec``."""

    kind: str
    spec: TopicSpec
    provider_id: str
    key: bytes | None
    value: bytes | None
    expect: Expect
    event_id: str | None = None  # as the service would read it (normalised UUID)
    not_before: int = 0  # index in the valid feed it must follow (same-key order)


@dataclass(frozen=True)
class Message:
    """One message to publish: a valid feed item or a hostile message."""

    spec: TopicSpec
    provider_id: str
    key: bytes | None
    value: bytes | None
    hostile: Hostile | None = None


# ------------------------------------------------------------------- the hostile world

_BOROUGH = {
    "central": "Camden",
    "west": "Brent",
    "local": "Newham",
    "south": "Croydon",
    "national": "Manchester",
}
_START = date(2024, 3, 4)
_METACHARACTERS = (
    "x'; DROP TABLE inbox; --",
    'x"; DELETE FROM payments; --',
    "x' OR '1'='1",
    "$(reboot)",
    "`rm -rf /`",
    "x; cat /etc/passwd",
    "x | nc 127.0.0.1 9",
    "x && shutdown -h now",
    "../../../etc/shadow",
    "%s%s%s%n",
    "${jndi:ldap://127.0.0.1/a}",
    "\\\\x00\\\\",
    "Robert'); DROP TABLE Students;--",
    "<script>alert(1)</script>",
    "x\r\nSet-Cookie: a=b",
)


@dataclass(frozen=True)
class Provider:
    provider_id: str
    contract_id: str
    sub_region: str


@dataclass
class _World:
    """Hostile entities of one provider: referrals with starts, placements, evidence."""

    provider: Provider
    referrals: list[str] = field(default_factory=list)
    placements: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _stamp(event_id: uuid.UUID) -> Json:
    return {
        "event_id": str(event_id),
        "produced_at": datetime(2024, 3, 1, 9, tzinfo=UTC).isoformat(),
    }


class HostileGenerator:
    """Deterministic from ``seed``: the same feed and seed give the same messages."""

    def __init__(
        self,
        feed: Sequence[FeedItem],
        providers: Sequence[Provider],
        seed: int,
        size_limit: int,
    ) -> None:
        self.feed = feed
        self.providers = list(providers)
        self.rng = random.Random(f"hostile:{seed}")
        self.size_limit = size_limit
        self.counter = 0
        self.feed_ninos = {
            "".join(i.event.nino.split()).upper() for i in feed if isinstance(i.event, ReferralMade)
        }
        self.hostile_ninos: list[str] = []
        self.worlds: dict[str, _World] = {p.provider_id: _World(p) for p in self.providers}
        self.by_provider: dict[str, list[int]] = {}
        for index, item in enumerate(feed):
            self.by_provider.setdefault(item.event.provider_id, []).append(index)

    # -- identifiers -----------------------------------------------------------------

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"fz-{prefix}-{self.counter:07d}"

    def _nino(self) -> str:
        letters = "ABCEGHJKLMNPRSTWXYZ"
        while True:
            nino = (
                self.rng.choice(letters)
                + self.rng.choice(letters.replace("O", ""))
                + f"{self.rng.randrange(10**6):06d}"
                + self.rng.choice("ABCD")
            )
            if nino[:2] in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
                continue
            if nino not in self.feed_ninos and nino not in self.hostile_ninos:
                self.hostile_ninos.append(nino)
                return nino

    # -- templates (valid events of the hostile world) -----------------------------------

    def referral(self, p: Provider, referral_id: str | None = None, **over: Any) -> Json:
        return {
            **_stamp(self._uuid()),
            "provider_id": p.provider_id,
            "type": "referral",
            "contract_id": p.contract_id,
            "referral_id": referral_id or self._id("ref"),
            "nino": self._nino(),
            "date_of_birth": "1980-05-05",
            "borough": _BOROUGH[p.sub_region],
            "eligibility_group": "disability",
            "eligibility_subgroup": None,
            "referral_source": "jobcentre",
            "referral_date": "2024-03-01",
            **over,
        }

    def start(self, p: Provider, referral_id: str, **over: Any) -> Json:
        return {
            **_stamp(self._uuid()),
            "provider_id": p.provider_id,
            "type": "programme_start",
            "referral_id": referral_id,
            "start_date": _START.isoformat(),
            **over,
        }

    def leaver(self, p: Provider, referral_id: str, **over: Any) -> Json:
        return {
            **_stamp(self._uuid()),
            "provider_id": p.provider_id,
            "type": "programme_end",
            "referral_id": referral_id,
            "end_date": "2024-09-01",
            "reason": "moved away",
            **over,
        }

    def job(self, p: Provider, referral_id: str, placement_id: str, **over: Any) -> Json:
        return {
            **_stamp(self._uuid()),
            "provider_id": p.provider_id,
            "type": "job_start",
            "referral_id": referral_id,
            "placement_id": placement_id,
            "job_start_date": "2024-04-01",
            "employment_type": "employed",
            "hourly_wage_pence": 1500,
            "weekly_hours": "37.50",
            "employer_name": "Fuzz Ltd",
            "sic_sector": "N",
            **over,
        }

    def job_end(self, p: Provider, placement_id: str, **over: Any) -> Json:
        return {
            **_stamp(self._uuid()),
            "provider_id": p.provider_id,
            "type": "job_end",
            "placement_id": placement_id,
            "end_date": "2024-12-01",
            **over,
        }

    def evidence(self, p: Provider, placement_id: str, evidence_id: str, **over: Any) -> Json:
        return {
            **_stamp(self._uuid()),
            "provider_id": p.provider_id,
            "type": "evidence",
            "placement_id": placement_id,
            "evidence_id": evidence_id,
            "version": 1,
            "kind": "payslip",
            "period_start": "2024-04-01",
            "period_end": "2024-04-30",
            "gross_earnings_pence": 100_000,
            "hours_worked": "150.00",
            "reported_on": "2024-05-02",
            **over,
        }

    def retraction(self, p: Provider, evidence_id: str, **over: Any) -> Json:
        return {
            **_stamp(self._uuid()),
            "provider_id": p.provider_id,
            "type": "evidence_retraction",
            "evidence_id": evidence_id,
            **over,
        }

    # -- the hostile world's own valid events ------------------------------------------------

    def base(self, per_provider: int) -> list[Hostile]:
        """Referrals, starts, placements and evidence the rule-breaking messages refer to.

        On the WHP contracts nothing of this reaches a payment threshold; on the pioneer
        contract a job start pays, which is why payments are compared for the valid
        feed's participants only.
        """
        out: list[Hostile] = []
        for world in self.worlds.values():
            p = world.provider
            for _ in range(per_provider):
                ref = self.referral(p)
                world.referrals.append(ref["referral_id"])
                out.append(self._keep("base_referral", PROVIDER_INTAKE, p, ref, "referral_id"))
                start = self.start(p, ref["referral_id"])
                out.append(self._keep("base_start", PROVIDER_INTAKE, p, start, "referral_id"))
                placement = self._id("pl")
                world.placements.append(placement)
                job = self.job(p, ref["referral_id"], placement)
                out.append(self._keep("base_job", PROVIDER_PLACEMENTS, p, job, "placement_id"))
                evidence_id = self._id("ev")
                world.evidence.append(evidence_id)
                ev = self.evidence(p, placement, evidence_id)
                out.append(self._keep("base_evidence", PROVIDER_EVIDENCE, p, ev, "evidence_id"))
        return out

    def _keep(self, kind: str, spec: TopicSpec, p: Provider, event: Json, key: str) -> Hostile:
        return self._make(kind, spec, p, event, "keep", key=str(event[key]).encode())

    def _make(
        self,
        kind: str,
        spec: TopicSpec,
        p: Provider,
        event: Json | None,
        expect: Expect,
        *,
        key: bytes | None = None,
        value: bytes | None = None,
        not_before: int = 0,
    ) -> Hostile:
        event_id = None
        if event is not None:
            if value is None:
                value = json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")
            raw_id = event.get("event_id")
            if isinstance(raw_id, str):
                try:
                    event_id = str(uuid.UUID(raw_id))
                except ValueError:
                    event_id = None
        return Hostile(kind, spec, p.provider_id, key, value, expect, event_id, not_before)

    # -- rule-breaking and malformed messages ----------------------------------------------

    def _world(self) -> _World:
        return self.worlds[self.rng.choice(self.providers).provider_id]

    def template(self, spec: TopicSpec, w: _World) -> tuple[Json, str]:
        """A valid event of the hostile world on ``spec`` (and its key field)."""
        p = w.provider
        r = self.rng.random()
        if spec is PROVIDER_INTAKE:
            if r < 0.4:
                return self.referral(p), "referral_id"
            if r < 0.7:
                return self.start(p, self.rng.choice(w.referrals)), "referral_id"
            return self.leaver(p, self.rng.choice(w.referrals)), "referral_id"
        if spec is PROVIDER_PLACEMENTS:
            if r < 0.7:
                return self.job(p, self.rng.choice(w.referrals), self._id("pl")), "placement_id"
            return self.job_end(p, self.rng.choice(w.placements)), "placement_id"
        if r < 0.8:
            return (
                self.evidence(p, self.rng.choice(w.placements), self._id("ev")),
                "evidence_id",
            )
        return self.retraction(p, self.rng.choice(w.evidence)), "evidence_id"

    def one(self, spec: TopicSpec, kind: str) -> Hostile:
        w = self._world()
        p = w.provider
        event, key_field = self.template(spec, w)
        key = str(event[key_field]).encode()
        rng = self.rng

        def bad(value: Any, *fields: str) -> Hostile:
            """``value`` in one of ``fields`` (any field if the event has none of them:
            then a text value may be a valid id or name, so any fate is fine)."""
            names = [f for f in fields if f in event]
            expect: Expect = "reject"
            if not names:
                names = [f for f in event if f not in ("type", "event_id")]
                expect = "any" if isinstance(value, str) else "reject"
            event[rng.choice(names)] = value
            return self._make(kind, spec, p, event, expect, key=key)

        if kind == "random_bytes":
            return self._make(
                kind, spec, p, None, "reject", key=key, value=rng.randbytes(rng.randint(1, 600))
            )
        if kind == "empty_value":
            return self._make(
                kind, spec, p, None, "reject", key=rng.choice([None, b"", key]), value=b""
            )
        if kind == "null_value":
            return Hostile(kind, spec, p.provider_id, rng.choice([b"", key]), None, "reject")
        if kind == "whitespace_value":
            return self._make(
                kind, spec, p, None, "reject", key=key, value=b" \n\t " * rng.randint(1, 50)
            )
        if kind == "truncated_json":
            full = json.dumps(event).encode()
            return self._make(
                kind, spec, p, None, "reject", key=key, value=full[: rng.randint(1, len(full) - 1)]
            )
        if kind == "non_object_json":
            choices = [b"[]", b"{}", b"42", b"-1e999", b'"referral"', b"null", b"true", b"false"]
            choices.append(b"[" + json.dumps(event).encode() + b"]")
            return self._make(kind, spec, p, None, "reject", key=key, value=rng.choice(choices))
        if kind == "deep_nesting":
            depth = 10_000
            value = rng.choice(
                [
                    b"[" * depth + b"]" * depth,
                    b'{"a":' * depth + b"1" + b"}" * depth,
                    json.dumps({**event, "nested": None})
                    .encode()
                    .replace(b'"nested": null', b'"nested": ' + b"[" * depth + b"]" * depth),
                ]
            )
            return self._make(kind, spec, p, None, "reject", key=key, value=value)
        if kind in ("size_under", "size_over"):
            if spec is PROVIDER_INTAKE:
                event, key_field = self.referral(p), "referral_id"
            elif spec is PROVIDER_PLACEMENTS:  # waits for a referral that never comes
                event, key_field = self.job(p, self._id("ref"), self._id("pl")), "placement_id"
            else:  # waits for a placement that never comes
                event, key_field = self.evidence(p, self._id("pl"), self._id("ev")), "evidence_id"
            key = str(event[key_field]).encode()
            body = json.dumps(event).encode()
            target = self.size_limit - 1 if kind == "size_under" else self.size_limit + 1
            value = body[:-1] + b" " * max(0, target - len(body)) + b"}"
            expect: Expect = "keep" if kind == "size_under" else "reject"
            return self._make(kind, spec, p, event, expect, key=key, value=value)
        if kind == "null_key":
            return self._make(kind, spec, p, event, "any", key=None)
        if kind == "empty_key":
            return self._make(kind, spec, p, event, "any", key=b"")
        if kind == "wrong_type":
            name = rng.choice([f for f, v in event.items() if v is not None and f != "type"])
            decimal = name in ("weekly_hours", "hours_worked")  # numbers are fine there
            wrong = [
                v
                for v in (12345, 1.5, True, [], {}, ["x"], {"a": 1}, "x")
                if type(v) is not type(event[name]) and not (decimal and type(v) in (int, float))
            ]
            return bad(rng.choice(wrong), name)
        if kind == "unknown_field":
            event[rng.choice(["extra", "amount", "__proto__", "provider", "Type"])] = "x"
            return self._make(kind, spec, p, event, "reject", key=key)
        if kind == "missing_field":
            required = [
                f
                for f in event
                if f
                not in (
                    "eligibility_subgroup",
                    "version",
                    "employer_name",
                    "sic_sector",
                    "hourly_wage_pence",
                )
            ]
            del event[rng.choice(required)]
            return self._make(kind, spec, p, event, "reject", key=key)
        if kind == "wrong_event_type":
            event["type"] = rng.choice(
                ["provider_payment", "referral ", "REFERRAL", "", "job_start2"]
            )
            return self._make(kind, spec, p, event, "reject", key=key)
        if kind == "float_money":
            return bad(
                rng.choice([1234.5, 100.0, 0.01, 1e3]),
                "hourly_wage_pence",
                "gross_earnings_pence",
                "version",
            )
        if kind == "negative_amount":
            return (
                bad(
                    rng.choice([-1, -100, -(10**6)]),
                    "hourly_wage_pence",
                    "gross_earnings_pence",
                    "version",
                    "weekly_hours",
                    "hours_worked",
                )
                if spec is not PROVIDER_INTAKE
                else bad(rng.choice([-1, -(10**6)]), "referral_id")
            )
        if kind == "huge_amount":
            huge = rng.choice([10**30, 10**19, 2**63, -(10**30)])
            fields = ("hourly_wage_pence", "gross_earnings_pence", "version")
            if spec is PROVIDER_INTAKE:
                return bad(huge)
            hours = [f for f in ("weekly_hours", "hours_worked") if f in event]
            if hours and rng.random() < 0.3:
                return bad(str(huge), *hours)
            return bad(huge, *fields)
        if kind == "exponent_decimal":
            text: object = rng.choice(
                [
                    "1E-999999999",
                    "1e+999999999",
                    "1E2",
                    "37.5e0",
                    "NaN",
                    "Infinity",
                    "-Infinity",
                    "sNaN",
                    "1" + "0" * 5000,
                    "0." + "0" * 5000 + "1",
                    "7.125",
                    1e2,
                    37.5,
                ]
            )
            if spec is PROVIDER_INTAKE:  # no decimals there: a number where text belongs
                return bad(1e2)
            return bad(text, "weekly_hours", "hours_worked")
        if kind == "extreme_date":
            day = rng.choice(["0001-01-01", "9999-12-31"])
            dates = [f for f in event if f.endswith(("_date", "_start", "_end", "_on", "_birth"))]
            event[rng.choice(dates or [f for f in event if f not in ("type", "event_id")])] = day
            return self._make(kind, spec, p, event, "any", key=key)
        if kind == "impossible_date":
            day = rng.choice(["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "24-01-01"])
            dates = [f for f in event if f.endswith(("_date", "_start", "_end", "_on", "_birth"))]
            return bad(day, *dates) if dates else bad(day)
        if kind == "nul_character":
            texts = [f for f, v in event.items() if isinstance(v, str) and f not in ("type",)]
            f = rng.choice(texts)
            event[f] = str(event[f]) + "\u0000"
            return self._make(kind, spec, p, event, "reject", key=key)
        if kind == "lone_surrogate":
            texts = [f for f, v in event.items() if isinstance(v, str) and f not in ("type",)]
            f = rng.choice(texts)
            marker = "LONE-SURROGATE"
            event[f] = str(event[f]) + marker
            body = json.dumps(event).encode()
            if rng.random() < 0.5:
                body = body.replace(
                    marker.encode(), rng.choice([b"\\ud800", b"\\udfff", b"\\udc00x"])
                )
            else:  # the UTF-8-style encoding of a surrogate: invalid UTF-8
                body = body.replace(marker.encode(), b"\xed\xa0\x80")
            return self._make(kind, spec, p, event, "reject", key=key, value=body)
        if kind == "long_string":
            texts = [f for f, v in event.items() if isinstance(v, str) and f not in ("type",)]
            event[rng.choice(texts)] = "x" * 10_000
            return self._make(kind, spec, p, event, "reject", key=key)
        if kind == "metacharacters":
            text = rng.choice(_METACHARACTERS)
            ids = [
                f for f in ("referral_id", "placement_id", "evidence_id", "borough") if f in event
            ]
            f = rng.choice(ids)
            event[f] = text if f == "borough" else f"fz-{text}-{self.counter}"
            self.counter += 1
            return self._make(kind, spec, p, event, "any", key=str(event[key_field]).encode())
        raise ValueError(f"unknown hostile kind {kind!r}")

    # -- attacks on the valid feed ----------------------------------------------------------

    def feed_attack(self, spec: TopicSpec, kind: str) -> Hostile | None:
        """A hostile message derived from a valid feed event on ``spec``."""
        candidates = [i for i, item in enumerate(self.feed) if item.topic is spec]
        if not candidates:
            return None
        index = self.rng.choice(candidates)
        item = self.feed[index]
        original = json.loads(item.event.model_dump_json())
        owner = item.event.provider_id
        p = next((x for x in self.providers if x.provider_id == owner), None)
        if p is None:
            return None
        key = item.key.encode()
        if kind == "resend_same":
            return self._make(
                kind,
                spec,
                p,
                original,
                "keep",
                key=key,
                value=item.event.model_dump_json().encode(),
                not_before=index,
            )
        if kind == "resend_new_id":
            copy = {**original, "event_id": str(self._uuid())}
            return self._make(kind, spec, p, copy, "any", key=key, not_before=index)
        if kind == "duplicate_event_id":
            copy = dict(original)
            changes: dict[str, Callable[[Any], Any]] = {
                "borough": lambda v: "Leeds" if v != "Leeds" else "Cardiff",
                "start_date": lambda v: (date.fromisoformat(v) + timedelta(days=1)).isoformat(),
                "end_date": lambda v: (date.fromisoformat(v) + timedelta(days=1)).isoformat(),
                "weekly_hours": lambda v: "1.00",
                "hours_worked": lambda v: "0.50",
            }
            changed = [name for name in changes if name in copy]
            if not changed:
                return None
            copy[changed[0]] = changes[changed[0]](copy[changed[0]])
            return self._make(kind, spec, p, copy, "reject", key=key, not_before=index)
        if kind == "other_provider":
            others = [x for x in self.providers if x.provider_id != owner]
            thief = self.rng.choice(others)
            copy = {**original, "event_id": str(self._uuid()), "provider_id": thief.provider_id}
            if copy["type"] == "referral":
                copy = self.start(thief, original["referral_id"])
            elif copy["type"] == "job_start":
                copy["placement_id"] = self._id("pl")
            elif copy["type"] == "evidence":
                copy["evidence_id"] = self._id("ev")
            spec_key = {
                "referral": "referral_id",
                "programme_start": "referral_id",
                "programme_end": "referral_id",
                "job_start": "placement_id",
                "job_end": "placement_id",
                "evidence": "evidence_id",
                "evidence_retraction": "evidence_id",
            }[copy["type"]]
            # v3 §9: ids are the sender's own, so the thief names its own entities, which
            # do not exist: held (rejected unknown_* only after the hold time).
            return self._make(
                kind,
                spec,
                thief,
                copy,
                "keep",
                key=str(copy[spec_key]).encode(),
                not_before=index,
            )
        if kind == "other_provider_evidence_id":
            # B re-uses A's evidence_id (version 3) against one of B's own placements.
            if original["type"] != "evidence":
                return None
            others = [
                x
                for x in self.providers
                if x.provider_id != owner and self.worlds[x.provider_id].placements
            ]
            thief = self.rng.choice(others)
            copy = {
                **original,
                "event_id": str(self._uuid()),
                "provider_id": thief.provider_id,
                "version": 3,
                "placement_id": self.rng.choice(self.worlds[thief.provider_id].placements),
            }
            return self._make(kind, spec, thief, copy, "reject", key=key, not_before=index)
        raise ValueError(f"unknown feed attack {kind!r}")


# Kinds and their weights per provider topic kind. The size-limit kinds are costly
# (each message is about the size limit): a handful per topic.
MALFORMED: dict[str, int] = {
    "random_bytes": 8,
    "empty_value": 3,
    "null_value": 3,
    "whitespace_value": 2,
    "truncated_json": 8,
    "non_object_json": 5,
    "deep_nesting": 1,
    "null_key": 3,
    "empty_key": 2,
    "wrong_type": 8,
    "unknown_field": 5,
    "missing_field": 5,
    "wrong_event_type": 3,
    "float_money": 4,
    "negative_amount": 4,
    "huge_amount": 5,
    "exponent_decimal": 5,
    "extreme_date": 5,
    "impossible_date": 4,
    "nul_character": 4,
    "lone_surrogate": 4,
    "long_string": 3,
    "metacharacters": 5,
}
FEED_ATTACKS: dict[str, int] = {
    "resend_same": 3,
    "resend_new_id": 2,
    "duplicate_event_id": 4,
    "other_provider": 5,
    "other_provider_evidence_id": 2,
}
SIZE_KINDS = ("size_under", "size_over")
LATE_KINDS = frozenset({"other_provider_evidence_id"})  # sent once the rest is processed


def hostile_messages(
    feed: Sequence[FeedItem],
    providers: Sequence[Provider],
    per_topic: int,
    seed: int,
    size_limit: int,
    *,
    size_messages: int = 5,
    world_per_provider: int = 4,
    skip: frozenset[str] = frozenset(),
) -> tuple[list[Hostile], list[Hostile]]:
    """(base, hostile): the hostile world's valid events and ``per_topic`` hostile messages
    per provider topic kind (intake, placements, evidence)."""
    gen = HostileGenerator(feed, providers, seed, size_limit)
    base = gen.base(world_per_provider)
    hostile: list[Hostile] = []
    unknown = skip - set(MALFORMED) - set(FEED_ATTACKS) - set(SIZE_KINDS)
    if unknown:
        raise ValueError(f"unknown hostile kinds: {sorted(unknown)}")
    table = {**MALFORMED, **FEED_ATTACKS}
    kinds = [k for k in table if k not in skip]
    weights = [table[k] for k in kinds]
    for spec in (PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE):
        made: list[Hostile] = []
        for kind in SIZE_KINDS:
            if kind not in skip:
                made += [gen.one(spec, kind) for _ in range(size_messages)]
        while len(made) < per_topic:
            kind = gen.rng.choices(kinds, weights)[0]
            if kind in MALFORMED:
                made.append(gen.one(spec, kind))
            else:
                attack = gen.feed_attack(spec, kind)
                if attack is not None:
                    made.append(attack)
        hostile += made
    return base, hostile


def interleave(
    feed: Sequence[FeedItem],
    base: Sequence[Hostile],
    hostile: Sequence[Hostile],
    seed: int,
    feed_message: Callable[[FeedItem], Message],
) -> list[Message]:
    """The valid feed in its order, the hostile world first, hostile messages spread
    through it at random (each after the feed event it copies), and the late kinds last.

    Late kinds attack something the valid feed must own first (an evidence id belongs to
    the provider of its first accepted version, whatever the order, domain.md §10): they
    are sent only once everything before them is processed (see :func:`is_late`)."""
    rng = random.Random(f"interleave:{seed}")
    slots: dict[int, list[Hostile]] = {}
    late = []
    n = len(feed)
    for h in hostile:
        if h.kind in LATE_KINDS:
            late.append(h)
            continue
        at = rng.randint(min(h.not_before + 1, n), n)
        slots.setdefault(at, []).append(h)
    out = [Message(h.spec, h.provider_id, h.key, h.value, h) for h in base]
    for i in range(n + 1):
        for h in slots.get(i, []):
            out.append(Message(h.spec, h.provider_id, h.key, h.value, h))
        if i < n:
            out.append(feed_message(feed[i]))
    out += [Message(h.spec, h.provider_id, h.key, h.value, h) for h in late]
    return out


def is_late(message: Message) -> bool:
    return message.hostile is not None and message.hostile.kind in LATE_KINDS
