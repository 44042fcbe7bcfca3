"""A secured broker of the test session's own (SASL/SCRAM, StandardAuthorizer, ACLs).

Started with ``deploy/kafka.sh start --secured`` on two free ports, with its state and
secrets file in a temporary directory, and stopped at the end of the session: several
checkouts can run their tests at once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.common.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[1]
CLIENT_VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "TOPIC_NAMESPACE",
)


@dataclass(frozen=True)
class SecuredKafka:
    bootstrap: str
    users: dict[str, str]
    secrets_file: Path

    def settings(self, principal: str) -> KafkaSettings:
        return KafkaSettings(kafka_bootstrap_servers=self.bootstrap).as_principal(
            principal, self.users[principal]
        )

    def options(self, principal: str) -> dict[str, Any]:
        """aiokafka client options for ``principal``."""
        return self.settings(principal).kafka_options()

    def env(self, principal: str) -> dict[str, str]:
        """The environment a service or tool runs with as ``principal``."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": principal,
            "KAFKA_SASL_PASSWORD": self.users[principal],
        }


def _two_free_ports() -> tuple[int, int]:
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        return a.getsockname()[1], b.getsockname()[1]


def _kafka_sh(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / "kafka.sh"), command, "--secured"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def secured_kafka(state: Path, attempts: int = 3) -> Iterator[SecuredKafka]:
    """Start the broker (new free ports on each attempt: another process may take a free
    port between choosing and binding it), yield it, stop it."""
    base = {k: v for k, v in os.environ.items() if k not in CLIENT_VARIABLES}
    failures: list[str] = []
    for attempt in range(attempts):
        port, controller_port = _two_free_ports()
        secrets = state / "secrets" / "kafka-users.json"
        env = base | {
            "KAFKA_SECURED": "1",
            "KAFKA_HEAP_MAX": os.environ.get("KAFKA_HEAP_MAX", "512m"),
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(controller_port),
            "KAFKA_STATE_DIR": str(state / f"kafka-{attempt}"),
            "KAFKA_SECRETS_FILE": str(secrets),
        }
        started = _kafka_sh("start", env)
        if started.returncode == 0:
            break
        _kafka_sh("stop", env)
        failures.append(started.stdout + started.stderr)
    else:
        pytest.fail(
            "deploy/kafka.sh start --secured failed:\n" + "\n".join(failures), pytrace=False
        )
    try:
        users = json.loads(secrets.read_text())["users"]
        yield SecuredKafka(f"127.0.0.1:{port}", users, secrets)
    finally:
        _kafka_sh("stop", env)
