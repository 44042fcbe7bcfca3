"""Replication by cluster size, cluster ports, and N instances' distinct identities."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.create_topics import replication
from deploy.local import broker_ports
from schemas.topics import SERVICES
from tools.services import ServiceProcesses, pid_files, unit


@pytest.mark.parametrize(
    ("brokers", "factor", "min_isr"), [(1, 1, "1"), (2, 2, "1"), (3, 3, "2"), (5, 3, "2")]
)
def test_replication_is_three_with_two_in_sync_from_three_brokers(
    brokers: int, factor: int, min_isr: str
) -> None:
    assert replication(brokers) == (factor, {"min.insync.replicas": min_isr})


def test_cluster_nodes_listen_a_stride_apart() -> None:
    assert broker_ports(19092, 3) == [19092, 19102, 19112]
    assert broker_ports(27192, 3, 2) == [27192, 27194, 27196]
    assert broker_ports(19092, 1) == [19092]


def test_each_instance_has_its_own_port_files_and_static_member_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAFKA_GROUP_INSTANCE_ID", raising=False)
    processes = ServiceProcesses(env={}, instances=3)
    envs = [processes.instance_env("intake", i) for i in (1, 2, 3)]
    assert [e["METRICS_PORT"] for e in envs] == ["9101", "9201", "9301"]
    ids = [e["KAFKA_GROUP_INSTANCE_ID"] for e in envs]
    assert len(set(ids)) == 3
    assert all(i.startswith("intake-") for i in ids)
    assert [unit("intake", i) for i in (1, 2, 3)] == ["intake", "intake-2", "intake-3"]
    assert len(processes.units()) == len(SERVICES) * 3


def test_a_static_member_id_given_in_the_environment_gets_the_instance_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_GROUP_INSTANCE_ID", "replica-a")
    processes = ServiceProcesses(env={}, instances=2)
    ids = [processes.instance_env("payments", i)["KAFKA_GROUP_INSTANCE_ID"] for i in (1, 2)]
    assert ids == ["replica-a-1", "replica-a-2"]


def test_an_empty_static_member_id_keeps_static_membership_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_GROUP_INSTANCE_ID", "")
    env = ServiceProcesses(env={}, instances=2).instance_env("payments", 2)
    assert env["KAFKA_GROUP_INSTANCE_ID"] == ""


def test_instances_are_bounded() -> None:
    with pytest.raises(ValueError, match="instances must be 1-9"):
        ServiceProcesses(env={}, instances=0)
    with pytest.raises(ValueError, match="instances must be 1-9"):
        ServiceProcesses(env={}, instances=10)


def test_stop_finds_every_instance_pid_file(tmp_path: Path) -> None:
    for name in ("intake.pid", "intake-2.pid", "intake-3.pid", "intake-extra.pid", "payments.pid"):
        (tmp_path / name).write_text("1")
    found = [p.name for p in pid_files(tmp_path, "intake")]
    assert found == ["intake.pid", "intake-2.pid", "intake-3.pid"]
