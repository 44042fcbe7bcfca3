"""``python -m tools.admin expire-holds``: an operator rejects held inputs now, without
restarting the service with a short hold time."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from schemas.rejections import EventRejected
from tests.builders import job_start
from tests.integration.conftest import ROOT, ServiceHarness, of_type, rejection_summary


def admin(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "TOPIC_NAMESPACE": ""}
    done = subprocess.run(
        [sys.executable, "-m", "tools.admin", "expire-holds", "--service", "placement", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_expire_holds_rejects_held_inputs_now(
    placement: ServiceHarness, fresh_database: str
) -> None:
    # given a job start held for a participant placement has not heard of, held now
    placement.clock.now = datetime.now(UTC)
    job = job_start()
    assert (await placement.send(job)).held == 1
    held = await placement.held()
    assert len(held) == 1
    assert held[0].endswith(str(job.event_id))

    # when the operator expires only holds older than an hour, nothing changes
    assert "rejected 0 held" in admin(fresh_database, "--older-than", "3600")
    assert await placement.held() == held
    assert await placement.new_output() == []

    # when the operator expires every hold
    assert "rejected 1 held" in admin(fresh_database)

    # then it is rejected as the hold sweep would, and the hold is empty
    [rejected] = of_type(await placement.new_output(), EventRejected)
    assert rejection_summary(rejected) == (
        "unknown_participant",
        "provider.prov-whp-central.placements.v1",
        0,
        0,
    )
    assert await placement.held() == []
    # and again: nothing left to expire
    assert "rejected 0 held" in admin(fresh_database)
