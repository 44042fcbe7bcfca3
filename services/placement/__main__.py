"""``python -m services.placement``: run the placement service."""

from pathlib import Path

from services.placement.bootstrap import SERVICE
from services.runtime.app import run_service

if __name__ == "__main__":
    run_service(SERVICE, Path(__file__).parent)
