"""What the insights page tests share: a signed-in user of a role, an empty read model."""

from __future__ import annotations

import pytest

from services.common.reference import load_contracts, load_rates
from services.views.handlers import ViewsHandler
from tests.integration.conftest import ServiceStarter
from tests.web.conftest import AddUser, Browser


async def signed_in(browser: Browser, add_user: AddUser, role: str) -> Browser:
    name = role.replace(":", "-")
    await add_user(name, role)
    browser.sign_in(name)
    return browser


@pytest.fixture
async def empty_read_model(start_service: ServiceStarter) -> None:
    """The read model's schema, migrated and empty (the pages' queries need its tables)."""
    await start_service(ViewsHandler(load_contracts(), load_rates()))
