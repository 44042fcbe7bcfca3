"""``python -m services.views [--rebuild]``: run the read model (rebuilt first with
``--rebuild``: its schema dropped and its consumer group rewound to the start)."""

import asyncio
import sys
from pathlib import Path

from services.common import logs
from services.common.settings import ServiceSettings
from services.runtime.app import run_service
from services.views.bootstrap import SERVICE
from services.views.rebuild import rebuild

if __name__ == "__main__":
    if "--rebuild" in sys.argv[1:]:
        logs.configure("views")
        asyncio.run(rebuild(ServiceSettings()))
    run_service(SERVICE, Path(__file__).parent)
