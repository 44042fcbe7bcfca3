"""The secured broker: principals, their secrets, SCRAM credentials and ACLs.

Who is who (one SCRAM-SHA-512 principal each):

* ``admin`` - the broker itself and the operator's tools; the only super user.
* ``intake``, ``placement``, ``sustainment``, ``payments`` - the services.
* one per provider of ``contracts.json`` (its ``provider_id``), e.g. ``prov-whp-central``.
* ``finance`` - reads the payments topic; ``ops`` - describes (lag, offsets, configs).

The ACLs are derived from the topic registry (:func:`acl_bindings`), never written by hand:
a provider writes only its own inbound topics and reads only its own rejection topic; a
service reads its inputs, writes only the topics it owns (and, for the services that
reject provider input, every provider's rejection topic) and uses only its own consumer
group; finance reads only the payments topic with its own group; ops may describe.
Everything else is denied (``allow.everyone.if.no.acl.found=false``).

Secrets live in a local JSON file (``KAFKA_SECRETS_FILE``, default
``.state/secrets/kafka-users.json``, git-ignored, mode 600), generated when missing;
a principal missing from it (a new provider) gets a new random password.

    python -m deploy.secured secrets                 # create/complete the secrets file
    python -m deploy.secured apply [--namespace NS]  # credentials, topics, ACLs (as admin)
    python -m deploy.secured env PRINCIPAL           # export lines for one principal
    python -m deploy.secured acls [--namespace NS]   # print the derived ACLs
    python -m deploy.secured rotate PRINCIPAL        # a new password for one principal
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, Final

from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from deploy.create_topics import ensure_topics
from deploy.local import LOCAL_KAFKA_BOOTSTRAP
from schemas.topics import (
    CONSUMERS,
    PAYMENTS,
    PROVIDER_KINDS,
    PROVIDER_REJECTION_WRITERS,
    SERVICES,
    all_topics,
    configured_providers,
    provider_rejections_topic,
    provider_topic,
    qualified,
)
from services.common.kafka_admin import admin_request

ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_SECRETS_FILE: Final = ROOT / ".state" / "secrets" / "kafka-users.json"
ADMIN: Final = "admin"
FINANCE: Final = "finance"
OPS: Final = "ops"
MECHANISM: Final = "SCRAM-SHA-512"
SCRAM_ITERATIONS: Final = 8192
CLUSTER: Final = "kafka-cluster"


class ResourceType(IntEnum):
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5


class Operation(IntEnum):
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    DESCRIBE_CONFIGS = 10
    IDEMPOTENT_WRITE = 12


class PatternType(IntEnum):
    LITERAL = 3
    PREFIXED = 4


ALLOW: Final = 3


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW entry: ``principal`` may ``operation`` on the resource, from any host."""

    principal: str
    resource_type: ResourceType
    resource_name: str
    operation: Operation
    pattern_type: PatternType = PatternType.LITERAL

    def __str__(self) -> str:
        pattern = "" if self.pattern_type is PatternType.LITERAL else " (prefix)"
        return (
            f"User:{self.principal:<21} {self.operation.name:<16} "
            f"{self.resource_type.name.lower()} {self.resource_name}{pattern}"
        )


def service_group(service: str, namespace: str = "") -> str:
    """A service's consumer group (as ``ServiceSettings.consumer_group``)."""
    return f"{namespace}outcomes-{service}"


def finance_group(namespace: str = "") -> str:
    return f"{namespace}finance"


def provider_group(provider_id: str, namespace: str = "") -> str:
    """The consumer group a provider may use to follow its rejection topic."""
    return f"{namespace}provider-{provider_id}"


def principals(providers: Iterable[str] | None = None) -> list[str]:
    """Every principal of the platform (the broker's credentials are made for these)."""
    return [ADMIN, *SERVICES, *_providers(providers), FINANCE, OPS]


def _providers(providers: Iterable[str] | None) -> tuple[str, ...]:
    """``providers``, or when None those of the reference data."""
    return configured_providers() if providers is None else tuple(providers)


def acl_bindings(namespace: str = "", providers: Sequence[str] | None = None) -> list[Acl]:
    """The ACLs of every principal but admin (a super user), derived from the registry."""
    providers = _providers(providers)
    topic, group = ResourceType.TOPIC, ResourceType.GROUP
    read, write = Operation.READ, Operation.WRITE
    acls: list[Acl] = []
    for provider in providers:
        acls += [
            Acl(provider, topic, provider_topic(k, provider, namespace), write)
            for k in PROVIDER_KINDS
        ]
        acls.append(Acl(provider, topic, provider_rejections_topic(provider, namespace), read))
        acls.append(Acl(provider, group, provider_group(provider, namespace), read))
    for service in SERVICES:
        inputs = all_topics(namespace, providers, CONSUMERS[service])
        acls += [Acl(service, topic, name, read) for name in inputs]
        acls.append(Acl(service, group, service_group(service, namespace), read))
        owned = [n for n, s in all_topics(namespace, providers).items() if s.owner == service]
        acls += [Acl(service, topic, name, write) for name in owned]
        if service in PROVIDER_REJECTION_WRITERS:
            acls += [
                Acl(service, topic, provider_rejections_topic(p, namespace), write)
                for p in providers
            ]
    acls.append(Acl(FINANCE, topic, qualified(PAYMENTS, namespace), read))
    acls.append(Acl(FINANCE, group, finance_group(namespace), read))
    acls += [
        Acl(OPS, ResourceType.CLUSTER, CLUSTER, Operation.DESCRIBE),
        Acl(OPS, topic, "*", Operation.DESCRIBE),
        Acl(OPS, topic, "*", Operation.DESCRIBE_CONFIGS),
        Acl(OPS, group, "*", Operation.DESCRIBE),
    ]
    return sorted(set(acls))


# -- secrets ---------------------------------------------------------------------------


def secrets_file() -> Path:
    return Path(os.environ.get("KAFKA_SECRETS_FILE") or DEFAULT_SECRETS_FILE)


def load_secrets(
    path: Path | None = None, providers: Iterable[str] | None = None
) -> dict[str, str]:
    """principal -> password; creates the file, or adds principals it lacks (mode 600)."""
    path = path or secrets_file()
    users: dict[str, str] = {}
    if path.exists():
        users = dict(json.loads(path.read_text(encoding="utf-8"))["users"])
    missing = [p for p in principals(providers) if not users.get(p)]
    if missing:
        users |= {p: secrets.token_urlsafe(24) for p in missing}
        save_secrets(path, users)
    path.chmod(0o600)
    return users


def save_secrets(path: Path, users: dict[str, str]) -> None:
    """Write the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps({"users": users}, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


# -- the two admin requests aiokafka has no method for ------------------------------------


class AlterUserScramCredentialsResponse_v0(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentials(Request[AlterUserScramCredentialsRequest_v0]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def build(
        self, request_struct_class: type[AlterUserScramCredentialsRequest_v0]
    ) -> AlterUserScramCredentialsRequest_v0:
        upsertions: list[tuple[str, int, int, bytes, bytes, dict[int, bytes]]] = []
        for name, password in sorted(self.users.items()):
            salt = secrets.token_bytes(32)
            salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, SCRAM_ITERATIONS)
            upsertions.append((name, 2, SCRAM_ITERATIONS, salt, salted, {}))  # 2: SHA-512
        return request_struct_class([], upsertions, {})


class CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, acls: Sequence[Acl]) -> None:
        self.acls = acls

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(
            [
                (
                    int(a.resource_type),
                    a.resource_name,
                    int(a.pattern_type),
                    f"User:{a.principal}",
                    "*",
                    int(a.operation),
                    ALLOW,
                )
                for a in self.acls
            ]
        )


def admin_options(bootstrap: str, password: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": bootstrap,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": MECHANISM,
        "sasl_plain_username": ADMIN,
        "sasl_plain_password": password,
    }


async def upsert_credentials(bootstrap: str, admin_password: str, users: dict[str, str]) -> int:
    """Create or replace the SCRAM credential of every one of ``users`` (as admin)."""
    options = admin_options(bootstrap, admin_password)
    response = await admin_request(options, AlterUserScramCredentials(users))
    failures = [f"{user}: {code} {msg}" for user, code, msg, _ in response.results if code]
    if failures:
        raise RuntimeError("SCRAM credentials refused: " + "; ".join(failures))
    return len(users)


async def create_acls(bootstrap: str, admin_password: str, acls: Sequence[Acl]) -> int:
    """Create the ACLs (creating an existing one again changes nothing)."""
    response = await admin_request(admin_options(bootstrap, admin_password), CreateAcls(acls))
    failures = [
        f"{acl}: {code} {msg}"
        for acl, (code, msg) in zip(acls, response.creation_responses, strict=True)
        if code
    ]
    if failures:
        raise RuntimeError("ACLs refused: " + "; ".join(failures))
    await wait_for_acls(bootstrap, admin_password, acls)
    return len(acls)


async def described_acls(bootstrap: str, admin_password: str) -> set[Acl]:
    """Every ALLOW ACL the broker's authorizer holds now."""
    # any resource type, any name, any pattern, any principal/host/operation/permission
    request = DescribeAclsRequest(1, None, 1, None, None, 1, 1)
    response = await admin_request(admin_options(bootstrap, admin_password), request)
    return {
        Acl(
            principal.removeprefix("User:"),
            ResourceType(resource_type),
            name,
            Operation(operation),
            PatternType(pattern),
        )
        for resource_type, name, pattern, entries in response.resources
        for principal, _host, operation, permission in entries
        if permission == ALLOW
    }


async def wait_for_acls(
    bootstrap: str, admin_password: str, acls: Sequence[Acl], within_seconds: float = 30.0
) -> None:
    """Return once the authorizer applies ``acls`` (creation returns a little before)."""
    async with asyncio.timeout(within_seconds):
        while True:
            if set(acls) <= await described_acls(bootstrap, admin_password):
                return
            await asyncio.sleep(0.2)


async def apply(
    bootstrap: str,
    namespace: str = "",
    providers: Sequence[str] | None = None,
    path: Path | None = None,
) -> tuple[int, int, int]:
    """Credentials of every principal, the registry's topics and their ACLs, as admin."""
    users = load_secrets(path, providers)
    security = admin_options(bootstrap, users[ADMIN])
    del security["bootstrap_servers"]
    credentials = await upsert_credentials(bootstrap, users[ADMIN], users)
    topics = await ensure_topics(bootstrap, namespace, security=security)
    acls = await create_acls(bootstrap, users[ADMIN], acl_bindings(namespace, providers))
    return credentials, len(topics), acls


async def rotate(bootstrap: str, principal: str, path: Path | None = None) -> None:
    """A new password for ``principal``: set on the broker (as admin), then in the file.

    Effective at once for new connections; give the new password to the principal. For
    ``admin`` restart the broker afterwards (its own login is in its properties).
    """
    path = path or secrets_file()
    users = load_secrets(path)
    if principal not in users:
        raise KeyError(f"unknown principal {principal!r}")
    new = secrets.token_urlsafe(24)
    await upsert_credentials(bootstrap, users[ADMIN], {principal: new})
    save_secrets(path, users | {principal: new})


def env_lines(principal: str, users: dict[str, str], bootstrap: str) -> list[str]:
    return [
        f"export KAFKA_BOOTSTRAP_SERVERS={bootstrap}",
        "export KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT",
        f"export KAFKA_SASL_MECHANISM={MECHANISM}",
        f"export KAFKA_SASL_USERNAME={principal}",
        f"export KAFKA_SASL_PASSWORD={users[principal]}",
    ]


def broker_properties(users: dict[str, str], port: int, controller_port: int) -> list[str]:
    """The secured listener, authorizer and the broker's own (admin) login."""
    password = users[ADMIN]
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
    return [
        f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}",
        f"listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port},"
        f"CONTROLLER://127.0.0.1:{controller_port}",
        "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name=SASL_PLAINTEXT",
        f"sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        # The controller listener: only the broker itself, as admin (SCRAM needs the
        # metadata the controller serves, so the controller listener uses PLAIN).
        "sasl.mechanism.controller.protocol=PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        f'listener.name.controller.plain.sasl.jaas.config={plain} required username="{ADMIN}"'
        f' password="{password}" user_{ADMIN}="{password}";',
        f"listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config={scram} required"
        f' username="{ADMIN}" password="{password}";',
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        f"super.users=User:{ADMIN}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.secured", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("secrets", help="create or complete the secrets file")
    for name in ("apply", "acls"):
        command = sub.add_parser(name)
        command.add_argument("--namespace", default=os.environ.get("TOPIC_NAMESPACE", ""))
        command.add_argument(
            "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA_BOOTSTRAP)
        )
    env = sub.add_parser("env", help="export lines for one principal")
    env.add_argument("principal")
    env.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA_BOOTSTRAP)
    )
    props = sub.add_parser("broker-properties", help="(deploy/kafka.sh) secured broker lines")
    props.add_argument("port", type=int)
    props.add_argument("controller_port", type=int)
    sub.add_parser("bootstrap-scram", help="(deploy/kafka.sh) the admin credential to format")
    rot = sub.add_parser("rotate", help="a new password for one principal")
    rot.add_argument("principal")
    rot.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA_BOOTSTRAP)
    )
    args = parser.parse_args(argv)
    users = load_secrets()
    if args.command == "secrets":
        print(f"{len(users)} principals in {secrets_file()}: {', '.join(sorted(users))}")
    elif args.command == "acls":
        for acl in acl_bindings(args.namespace):
            print(acl)
    elif args.command == "env":
        if args.principal not in users:
            parser.error(f"unknown principal {args.principal!r}; known: {', '.join(users)}")
        print("\n".join(env_lines(args.principal, users, args.bootstrap)))
    elif args.command == "broker-properties":
        print("\n".join(broker_properties(users, args.port, args.controller_port)))
    elif args.command == "bootstrap-scram":
        print(f"{MECHANISM}=[name={ADMIN},password={users[ADMIN]}]")
    elif args.command == "rotate":
        asyncio.run(rotate(args.bootstrap, args.principal))
        print(f"new password for {args.principal} set on {args.bootstrap} and in {secrets_file()}")
    else:
        credentials, topics, acls = asyncio.run(apply(args.bootstrap, args.namespace))
        print(
            f"secured broker {args.bootstrap}: {credentials} SCRAM credentials,"
            f" {topics} topics, {acls} ACLs (namespace {args.namespace!r})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
