"""deploy/postgres.sh run as root never changes a permission above its state directory.

The state directory lies under a directory only root may enter: the `postgres` OS user
cannot reach it there, so the script keeps the state under the postgres user's home and
links it from the requested path; every ancestor keeps its mode.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port
from tools.chaos.infra import PG_BIN

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the postgres user is used only as root"),
    pytest.mark.skipif(not (PG_BIN / "pg_ctl").exists(), reason="PostgreSQL 15 not installed"),
]

ROOT = Path(__file__).resolve().parents[2]


def _script(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / "postgres.sh"), command],
        cwd=ROOT,
        env={**base, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _modes(path: Path) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.stat().st_mode) for p in [path, *path.parents]}


def test_state_under_a_root_only_directory_leaves_every_parent_as_it_was(tmp_path: Path) -> None:
    private = tmp_path / "root-only"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    state = private / "postgres"
    before = _modes(private)
    port = free_port()
    env = {"POSTGRES_PORT": str(port), "POSTGRES_STATE_DIR": str(state)}
    started = _script("start", env)
    real = state.resolve()
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert "the postgres user cannot reach" in started.stdout
        assert state.is_symlink()
        assert (real / "data" / "PG_VERSION").exists()
        ready = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], check=False
        )
        assert ready.returncode == 0
        assert _modes(private) == before
        assert _script("status", env).returncode == 0
    finally:
        stopped = _script("stop", env)
        if real != state:
            shutil.rmtree(real, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert _modes(private) == before
