"""The running Prometheus' HTTP API (``/api/v1/query``, ``/api/v1/query_range``), read
with a short timeout and a bounded answer, off the event loop."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any

TIMEOUT_SECONDS = 3.0
MAX_ANSWER_BYTES = 2_000_000


def _get(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        body = error.read(MAX_ANSWER_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return {"status": "error", "error": f"Prometheus is not reachable: {error}"}
    if len(body) > MAX_ANSWER_BYTES:
        return {"status": "error", "error": "Prometheus' answer is too large to show"}
    try:
        answer: dict[str, Any] = json.loads(body)
    except ValueError:
        return {"status": "error", "error": "Prometheus' answer is not JSON"}
    return answer


async def instant(base_url: str, expr: str, at: datetime) -> dict[str, Any]:
    query = urllib.parse.urlencode({"query": expr, "time": f"{at.timestamp():.3f}"})
    return await asyncio.to_thread(_get, f"{base_url}/api/v1/query?{query}")


async def over_last_hour(base_url: str, expr: str, now: datetime) -> dict[str, Any]:
    query = urllib.parse.urlencode(
        {
            "query": expr,
            "start": f"{(now - timedelta(hours=1)).timestamp():.3f}",
            "end": f"{now.timestamp():.3f}",
            "step": "300",
        }
    )
    return await asyncio.to_thread(_get, f"{base_url}/api/v1/query_range?{query}")
