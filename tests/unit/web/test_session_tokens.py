"""Session cookies: signed here, refused otherwise."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.web.security.tokens import new_token, signed, token_digest, unsigned

KEY = b"unit-test-key"


def test_a_signed_token_reads_back() -> None:
    token = new_token()
    assert unsigned(signed(token, KEY), KEY) == token
    assert len(token_digest(token)) == 32


def test_another_key_a_changed_token_or_no_signature_is_refused() -> None:
    token = new_token()
    cookie = signed(token, KEY)
    assert unsigned(cookie, b"another key") is None
    assert unsigned("x" + cookie, KEY) is None
    assert unsigned(token, KEY) is None
    assert unsigned(cookie + "0" * 300, KEY) is None


@given(st.text(max_size=300))
def test_no_made_up_cookie_is_accepted(cookie: str) -> None:
    assert unsigned(cookie, KEY) is None
