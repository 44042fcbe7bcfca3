"""The topic registry: per-provider topics derived from the configured providers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.topics import (
    CONSUMERS,
    PARTICIPANTS,
    PAYMENTS,
    PROVIDER_EVIDENCE,
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    PROVIDER_REJECTION_WRITERS,
    PROVIDER_REJECTIONS,
    REJECTIONS,
    RegistryError,
    all_topics,
    configured_providers,
    event_topic,
    input_topics,
    provider_of,
    provider_rejections_topic,
    provider_topic,
    qualified,
    resolve,
)
from tests.builders import referral

PROVIDERS = configured_providers()


def test_providers_come_from_the_contracts_data() -> None:
    contracts = json.loads(Path("deploy/reference/contracts.json").read_text())["contracts"]
    assert set(PROVIDERS) == {c["provider_id"] for c in contracts}
    assert len(PROVIDERS) == len(set(PROVIDERS)) == 6


def test_per_provider_topic_names() -> None:
    assert provider_topic(PROVIDER_INTAKE, "prov-a") == "provider.prov-a.intake.v1"
    assert (
        provider_topic(PROVIDER_PLACEMENTS, "prov-a", "ns.") == "ns.provider.prov-a.placements.v1"
    )
    assert provider_topic(PROVIDER_EVIDENCE, "prov-a") == "provider.prov-a.evidence.v1"
    assert provider_rejections_topic("prov-a", "ns.") == "ns.provider.prov-a.rejections.v1"


def test_a_per_provider_kind_has_no_single_name_and_an_internal_topic_no_provider() -> None:
    with pytest.raises(RegistryError):
        qualified(PROVIDER_INTAKE)
    with pytest.raises(RegistryError):
        provider_topic(PAYMENTS, "prov-a")
    assert qualified(PAYMENTS, "ns.") == "ns.payments.provider-payments.v1"


@pytest.mark.parametrize("bad", ["", "prov.a", "prov a", "prov/a", "x" * 65])
def test_provider_ids_that_would_make_ambiguous_topic_names_are_refused(bad: str) -> None:
    with pytest.raises(RegistryError):
        provider_topic(PROVIDER_INTAKE, bad)


def test_resolve_inverts_every_topic_name_with_and_without_namespace() -> None:
    for namespace in ("", "it-1234.", "provider.weird."):
        names = all_topics(namespace)
        for name, spec in names.items():
            resolved, provider = resolve(name, namespace)
            assert resolved is spec
            assert (provider is not None) == spec.per_provider
            if provider is not None:
                assert provider_topic(spec, provider, namespace) == name
                assert provider_of(spec, name) == provider


@pytest.mark.parametrize(
    "name",
    ["provider.intake.v1", "provider.prov-a.nothing.v1", "nothing.v1", "provider..intake.v1"],
)
def test_resolve_refuses_unknown_names(name: str) -> None:
    with pytest.raises(KeyError):
        resolve(name)


def test_every_topic_is_listed_once_per_provider_for_per_provider_kinds() -> None:
    names = all_topics()
    per_provider = [PROVIDER_INTAKE, PROVIDER_PLACEMENTS, PROVIDER_EVIDENCE, PROVIDER_REJECTIONS]
    internal = 5 + len(REJECTIONS)  # participants, placements, milestones, evidence, payments
    assert len(names) == len(per_provider) * len(PROVIDERS) + internal
    for provider in PROVIDERS:
        assert provider_rejections_topic(provider) in names


def test_services_subscribe_to_each_providers_topics_and_their_internal_inputs() -> None:
    topics = input_topics("placement", "ns.")
    assert topics == [
        "ns.intake.participants.v1",
        *(f"ns.provider.{p}.placements.v1" for p in PROVIDERS),
    ]
    assert input_topics("payments") == ["sustainment.milestones.v1"]
    assert PROVIDER_REJECTION_WRITERS == ("intake", "placement", "sustainment")
    assert all(PARTICIPANTS in CONSUMERS[s] for s in ("placement", "sustainment"))


def test_an_event_travels_on_the_topic_of_the_provider_it_names() -> None:
    event = referral(provider_id="prov-whp-west")
    assert event_topic(PROVIDER_INTAKE, event, "ns.") == "ns.provider.prov-whp-west.intake.v1"


def test_adding_a_provider_is_a_data_change(tmp_path: Path) -> None:
    contracts = json.loads(Path("deploy/reference/contracts.json").read_text())
    contracts["contracts"].append({**contracts["contracts"][0], "provider_id": "prov-new"})
    (tmp_path / "contracts.json").write_text(json.dumps(contracts))
    providers = configured_providers(tmp_path)
    assert providers == (*PROVIDERS, "prov-new")
    assert "provider.prov-new.evidence.v1" in all_topics(providers=providers)


def test_a_contracts_file_with_an_unusable_provider_id_fails_loudly(tmp_path: Path) -> None:
    contracts = {"contracts": [{"provider_id": "prov.dotted"}]}
    (tmp_path / "contracts.json").write_text(json.dumps(contracts))
    with pytest.raises(RegistryError, match=r"prov\.dotted"):
        configured_providers(tmp_path)
