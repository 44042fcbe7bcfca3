"""The pseudonymisation key: refused when it protects nobody, unless in development mode."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from services.common.settings import (
    DEVELOPMENT_PARTICIPANT_KEY,
    MIN_PARTICIPANT_KEY_BYTES,
    ConfigurationError,
    ServiceSettings,
)


def _settings(key: str | None, dev_mode: bool) -> ServiceSettings:
    return ServiceSettings(
        participant_id_key=SecretStr(key) if key is not None else None,
        outcomes_dev_mode=dev_mode,
    )


def test_a_key_of_the_minimum_length_is_used_as_given() -> None:
    key = "k" * MIN_PARTICIPANT_KEY_BYTES
    assert _settings(key, dev_mode=False).participant_key() == key.encode()


def test_a_key_one_byte_short_is_refused_without_dev_mode() -> None:
    key = "k" * (MIN_PARTICIPANT_KEY_BYTES - 1)
    with pytest.raises(ConfigurationError, match="31 bytes, under the minimum of 32"):
        _settings(key, dev_mode=False).participant_key()


def test_length_counts_bytes_not_characters() -> None:
    key = "é" * 16  # 16 characters, 32 bytes in UTF-8
    assert _settings(key, dev_mode=False).participant_key() == key.encode()


def test_the_development_key_set_explicitly_is_refused_without_dev_mode() -> None:
    with pytest.raises(ConfigurationError, match="is the development key"):
        _settings(DEVELOPMENT_PARTICIPANT_KEY, dev_mode=False).participant_key()


def test_a_missing_key_is_refused_without_dev_mode() -> None:
    for missing in (None, ""):
        with pytest.raises(ConfigurationError, match="PARTICIPANT_ID_KEY is not set"):
            _settings(missing, dev_mode=False).participant_key()


def test_dev_mode_allows_the_development_key_and_short_keys_and_says_which() -> None:
    explicit = _settings(DEVELOPMENT_PARTICIPANT_KEY, dev_mode=True)
    assert explicit.participant_key() == DEVELOPMENT_PARTICIPANT_KEY.encode()
    assert explicit.uses_development_key
    implicit = _settings(None, dev_mode=True)
    assert implicit.participant_key() == DEVELOPMENT_PARTICIPANT_KEY.encode()
    assert implicit.uses_development_key
    short = _settings("short", dev_mode=True)
    assert short.participant_key() == b"short"
    assert not short.uses_development_key
