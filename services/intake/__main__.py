"""``python -m services.intake``: run the intake service."""

from pathlib import Path

from services.intake.bootstrap import SERVICE
from services.runtime.app import run_service

if __name__ == "__main__":
    run_service(SERVICE, Path(__file__).parent)
