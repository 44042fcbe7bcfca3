"""``python -m services.sustainment``: run the sustainment service."""

from pathlib import Path

from services.common.app import run_service
from services.sustainment.handlers import make_handler

if __name__ == "__main__":
    run_service(make_handler, Path(__file__).parent)
