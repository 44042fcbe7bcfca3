"""``python -m services.sustainment``: run the sustainment service."""

from pathlib import Path

from services.runtime.app import run_service
from services.sustainment.bootstrap import SERVICE

if __name__ == "__main__":
    run_service(SERVICE, Path(__file__).parent)
