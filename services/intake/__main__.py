"""``python -m services.intake``: run the intake service."""

from pathlib import Path

from services.common.app import run_service
from services.intake.bootstrap import SERVICE

if __name__ == "__main__":
    run_service(SERVICE, Path(__file__).parent)
