"""Configuration of the web app, from environment variables (docs/web.md)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.local_defaults import LOCAL_DATABASE_URL
from services.common.reference import REFERENCE_DIR
from services.common.settings import ConfigurationError
from services.web.security.rate_limit import SignInLimits

DEFAULT_WEB_PORT: Final = 18080
DEVELOPMENT_SECRET_KEY: Final = "local-development-web-key-change-me"
"""Only with ``OUTCOMES_DEV_MODE=1``: anyone can read it here, so it signs nothing safely."""


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = LOCAL_DATABASE_URL
    web_host: str = "127.0.0.1"
    web_port: int = DEFAULT_WEB_PORT
    web_secret_key: SecretStr | None = Field(
        default=None, description="signs session cookies; no default outside development"
    )
    outcomes_dev_mode: bool = False
    web_session_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    web_today: date | None = Field(
        default=None,
        description="the date the views are computed for (a demo or a test); default today",
    )
    web_sign_in_failures_per_username: int = Field(default=5, ge=1)
    web_sign_in_failures_per_address: int = Field(default=20, ge=1)
    web_sign_in_window_minutes: int = Field(default=15, ge=1)
    reference_dir: Path = REFERENCE_DIR
    """Contracts and rates, as the services read them (``REFERENCE_DIR``)."""

    def secret_key(self) -> bytes:
        if self.web_secret_key is not None and self.web_secret_key.get_secret_value():
            return self.web_secret_key.get_secret_value().encode()
        if self.outcomes_dev_mode:
            return DEVELOPMENT_SECRET_KEY.encode()
        raise ConfigurationError(
            "WEB_SECRET_KEY is not set. Generate one (python -c 'import secrets;"
            " print(secrets.token_urlsafe(32))') and keep it in your secret store; or set"
            " OUTCOMES_DEV_MODE=1 for a development run."
        )

    def sign_in_limits(self) -> SignInLimits:
        return SignInLimits(
            failures_per_username=self.web_sign_in_failures_per_username,
            failures_per_address=self.web_sign_in_failures_per_address,
            window=timedelta(minutes=self.web_sign_in_window_minutes),
        )

    def session_lifetime(self) -> timedelta:
        return timedelta(minutes=self.web_session_minutes)
