"""Identity tokens: only a genuine, unexpired token names a customer."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.identity.tokens import ExpiredIdentity, InvalidIdentity, sign_identity, verify_identity

SECRET = "shared-secret-for-tests"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def test_a_genuine_token_names_its_customer():
    token = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(minutes=5), secret=SECRET)
    assert verify_identity(token, secret=SECRET, now=NOW) == "C0001"


def test_an_expired_token_is_refused():
    token = sign_identity(customer_id="C0001", expires_at=NOW, secret=SECRET)
    with pytest.raises(ExpiredIdentity):
        verify_identity(token, secret=SECRET, now=NOW)


def test_a_token_signed_with_another_secret_is_refused():
    token = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(hours=1), secret="other")
    with pytest.raises(InvalidIdentity, match="signature"):
        verify_identity(token, secret=SECRET, now=NOW)


def test_a_tampered_customer_id_is_refused():
    genuine = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(hours=1), secret=SECRET)
    forged = sign_identity(customer_id="C9999", expires_at=NOW + timedelta(hours=1), secret=SECRET)
    tampered = f"{forged.split('.')[0]}.{genuine.split('.')[1]}"
    with pytest.raises(InvalidIdentity):
        verify_identity(tampered, secret=SECRET, now=NOW)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 3000, "e30.e30"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidIdentity):
        verify_identity(token, secret=SECRET, now=NOW)
