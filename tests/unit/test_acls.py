"""The ACLs of the secured broker, derived from the topic registry (deploy/secured.py)."""

from __future__ import annotations

from collections import defaultdict

from deploy.secured import (
    ADMIN,
    FINANCE,
    OPS,
    Acl,
    Operation,
    PatternType,
    ResourceType,
    acl_bindings,
    broker_properties,
    principals,
)
from schemas.topics import SERVICES, all_topics, configured_providers, provider_rejections_topic

NS = "ns."


def by_principal(acls: list[Acl]) -> dict[str, set[tuple[str, str, str]]]:
    grants: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for a in acls:
        grants[a.principal].add((a.operation.name, a.resource_type.name, a.resource_name))
    return grants


GRANTS = by_principal(acl_bindings(NS))


def test_a_provider_writes_its_own_inbound_topics_and_reads_only_its_rejections() -> None:
    assert GRANTS["prov-whp-west"] == {
        ("WRITE", "TOPIC", "ns.provider.prov-whp-west.intake.v1"),
        ("WRITE", "TOPIC", "ns.provider.prov-whp-west.placements.v1"),
        ("WRITE", "TOPIC", "ns.provider.prov-whp-west.evidence.v1"),
        ("READ", "TOPIC", "ns.provider.prov-whp-west.rejections.v1"),
        ("READ", "GROUP", "ns.provider-prov-whp-west"),
    }


def test_a_service_writes_only_what_it_owns_and_reads_its_inputs_in_its_group() -> None:
    topics = all_topics(NS)
    for service in SERVICES:
        writes = {name for op, kind, name in GRANTS[service] if op == "WRITE"}
        owned = {n for n, s in topics.items() if s.owner == service}
        rejections = {provider_rejections_topic(p, NS) for p in configured_providers()}
        assert writes - owned <= rejections, service
        groups = {name for _, kind, name in GRANTS[service] if kind == "GROUP"}
        assert groups == {f"ns.outcomes-{service}"}


def test_only_services_that_read_provider_topics_write_provider_rejections() -> None:
    writers = {
        p for p, grants in GRANTS.items() for op, _, name in grants
        if op == "WRITE" and name.endswith(".rejections.v1") and ".provider." in f".{name}"
    }  # fmt: skip
    assert writers == {"intake", "placement", "sustainment"}


def test_finance_reads_the_payments_topic_only_and_ops_only_describes() -> None:
    assert GRANTS[FINANCE] == {
        ("READ", "TOPIC", "ns.payments.provider-payments.v1"),
        ("READ", "GROUP", "ns.finance"),
    }
    assert {op for op, _, _ in GRANTS[OPS]} == {"DESCRIBE", "DESCRIBE_CONFIGS"}


def test_no_acl_for_admin_nor_any_prefix_nor_any_deny() -> None:
    acls = acl_bindings(NS)
    assert ADMIN not in GRANTS
    assert {a.pattern_type for a in acls} == {PatternType.LITERAL}
    assert Operation.ALL not in {a.operation for a in acls}


def test_a_new_provider_gets_its_topics_and_the_services_may_use_them() -> None:
    grants = by_principal(acl_bindings("", [*configured_providers(), "prov-new"]))
    assert ("WRITE", "TOPIC", "provider.prov-new.evidence.v1") in grants["prov-new"]
    assert ("READ", "TOPIC", "provider.prov-new.evidence.v1") in grants["sustainment"]
    assert ("WRITE", "TOPIC", "provider.prov-new.rejections.v1") in grants["sustainment"]
    assert "prov-new" in principals([*configured_providers(), "prov-new"])


def test_the_broker_authorizes_and_trusts_only_admin() -> None:
    lines = broker_properties({ADMIN: "secret"}, 20592, 20593)
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in lines
    assert "allow.everyone.if.no.acl.found=false" in lines
    assert "super.users=User:admin" in lines
    assert not any(line.startswith("listeners=") and "PLAINTEXT://" in line.replace(
        "SASL_PLAINTEXT://", "") for line in lines)  # fmt: skip
    assert ResourceType.CLUSTER in {a.resource_type for a in acl_bindings()}
