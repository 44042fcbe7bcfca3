"""Where a development machine's Kafka and PostgreSQL listen: the settings' defaults.

``KAFKA_PORT`` [19092] and ``POSTGRES_PORT`` [15432], as ``deploy/env.sh`` sets them
(``deploy/local.py`` takes these from here: the product does not import ``deploy/``).
"""

from __future__ import annotations

import os

KAFKA_PORT = int(os.environ.get("KAFKA_PORT") or 19092)
POSTGRES_PORT = int(os.environ.get("POSTGRES_PORT") or 15432)

LOCAL_KAFKA_BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
LOCAL_DATABASE_URL = f"postgresql://outcomes:outcomes@127.0.0.1:{POSTGRES_PORT}/outcomes"
