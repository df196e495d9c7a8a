"""Identity tokens (JWT, HS256): only a genuine, current token for our audience names a customer;
anything else is an InvalidIdentity (a 401), never a crash."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from bot.identity.tokens import (
    DEMO_ISSUER,
    ExpiredIdentity,
    IdentityKey,
    InvalidIdentity,
    WeakSecret,
    sign_identity,
    verify_identity,
)

SECRET = "shared-secret-for-tests-at-least-32-bytes"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_genuine_token_names_its_customer():
    token = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(minutes=5), secret=SECRET)
    assert verify_identity(token, secret=SECRET, now=NOW) == "C0001"


def test_a_token_from_a_stock_jwt_library_is_accepted():
    """What the bank's back end does (README "Customer identity"): PyJWT, nothing of ours."""
    claims = {
        "sub": "C0001",
        "aud": "bankchat",
        "iss": "bank",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=10)).timestamp()),
    }
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert verify_identity(token, secret=SECRET, now=NOW) == "C0001"


def test_an_expired_token_is_refused():
    token = sign_identity(customer_id="C0001", expires_at=NOW, secret=SECRET)
    with pytest.raises(ExpiredIdentity):
        verify_identity(token, secret=SECRET, now=NOW)


def test_an_expiry_further_ahead_than_the_maximum_lifetime_is_refused():
    token = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(days=365 * 5), secret=SECRET)
    with pytest.raises(InvalidIdentity, match="ahead"):
        verify_identity(token, secret=SECRET, now=NOW)
    within = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(minutes=59), secret=SECRET)
    assert verify_identity(within, secret=SECRET, now=NOW, max_lifetime=timedelta(minutes=60)) == "C0001"
    with pytest.raises(InvalidIdentity):
        verify_identity(within, secret=SECRET, now=NOW, max_lifetime=timedelta(minutes=10))


@pytest.mark.parametrize("exp", [float("nan"), float("inf"), "2030-01-01", True, None])
def test_an_expiry_that_is_not_a_finite_number_is_refused(exp):
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": "C0001", "aud": "bankchat", "iss": "bank", "exp": exp}
    payload = b64(json.dumps(claims).encode())  # json.dumps writes NaN and Infinity as such
    import hashlib
    import hmac

    signature = b64(hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    with pytest.raises(InvalidIdentity):
        verify_identity(f"{header}.{payload}.{signature}", secret=SECRET, now=NOW)


def test_a_token_signed_with_another_secret_is_refused():
    token = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(minutes=5), secret="o" * 40)
    with pytest.raises(InvalidIdentity, match="signature"):
        verify_identity(token, secret=SECRET, now=NOW)


def test_a_tampered_customer_id_is_refused():
    genuine = sign_identity(customer_id="C0001", expires_at=NOW + timedelta(minutes=5), secret=SECRET)
    forged = sign_identity(customer_id="C9999", expires_at=NOW + timedelta(minutes=5), secret=SECRET)
    header, _, signature = genuine.split(".")
    tampered = f"{header}.{forged.split('.')[1]}.{signature}"
    with pytest.raises(InvalidIdentity):
        verify_identity(tampered, secret=SECRET, now=NOW)


def test_alg_none_another_audience_or_issuer_is_refused():
    exp = int((NOW + timedelta(minutes=5)).timestamp())
    unsigned = jwt.encode(
        {"sub": "C0001", "aud": "bankchat", "iss": "bank", "exp": exp}, None, algorithm="none"
    )
    for token in (
        unsigned,
        jwt.encode(
            {"sub": "C0001", "aud": "other-app", "iss": "bank", "exp": exp}, SECRET, algorithm="HS256"
        ),
        jwt.encode(
            {"sub": "C0001", "aud": "bankchat", "iss": "someone", "exp": exp}, SECRET, algorithm="HS256"
        ),
        jwt.encode({"sub": "C0001", "aud": "bankchat", "iss": "bank", "exp": exp}, SECRET, algorithm="HS512"),
        jwt.encode({"aud": "bankchat", "iss": "bank", "exp": exp}, SECRET, algorithm="HS256"),
        jwt.encode({"sub": "C\n1", "aud": "bankchat", "iss": "bank", "exp": exp}, SECRET, algorithm="HS256"),
    ):
        with pytest.raises(InvalidIdentity):
            verify_identity(token, secret=SECRET, now=NOW)


def test_a_demo_token_passes_only_where_the_demo_key_is_accepted():
    demo_secret = "demo-secret-for-tests-at-least-32-bytes"
    token = sign_identity(
        customer_id="D1002", expires_at=NOW + timedelta(minutes=5), secret=demo_secret, issuer=DEMO_ISSUER
    )
    with pytest.raises(InvalidIdentity):
        verify_identity(token, secret=SECRET, now=NOW)
    keys = (IdentityKey(demo_secret, DEMO_ISSUER),)
    assert verify_identity(token, secret=SECRET, keys=keys, now=NOW) == "D1002"
    # A token signed with the bank's secret but naming the demo issuer is no demo token either.
    forged = sign_identity(
        customer_id="D1002", expires_at=NOW + timedelta(minutes=5), secret=SECRET, issuer=DEMO_ISSUER
    )
    with pytest.raises(InvalidIdentity):
        verify_identity(forged, secret=SECRET, keys=keys, now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c",
        "x" * 5000,
        "e30.e30.e30",
        "令牌.令牌.令牌",
        "\x00.\x01.\x02",
        "é" * 50,
        "eyJhbGciOiJIUzI1NiJ9.////.AAAA",
    ],
)
def test_malformed_tokens_are_refused_not_crashed_on(token):
    with pytest.raises(InvalidIdentity):
        verify_identity(token, secret=SECRET, now=NOW)


def test_a_secret_shorter_than_32_bytes_is_a_configuration_error():
    with pytest.raises(WeakSecret, match="32 bytes"):
        sign_identity(customer_id="C0001", expires_at=NOW + timedelta(minutes=5), secret="short")
