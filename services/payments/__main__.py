"""``python -m services.payments``: run the payments service."""

from pathlib import Path

from services.common.app import run_service
from services.payments.handlers import make_handler

if __name__ == "__main__":
    run_service(make_handler, Path(__file__).parent)
