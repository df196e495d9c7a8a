"""The metadata the API signs for Rasa is believed by the actions only when it is the API's, for
this conversation and still fresh; everything else means an anonymous customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from bot.identity.metadata import AUDIENCE, SIGNED_KEY, VerifiedMetadata, sign_metadata, verify_metadata

SECRET = "metadata-secret-for-tests-0123456789abcdef"
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def signed(**overrides):
    values = {
        "secret": SECRET,
        "conversation_id": "conv-1",
        "customer_id": "C0007",
        "channel": "app",
        "now": NOW,
    }
    return sign_metadata(**{**values, **overrides})


def verify(metadata, *, conversation_id="conv-1", now=NOW, secret=SECRET):
    return verify_metadata(metadata, secret=secret, conversation_id=conversation_id, now=now)


def test_the_apis_metadata_is_believed_for_its_conversation():
    metadata = signed()
    assert metadata["customer_id"] == "C0007" and metadata["channel"] == "app"
    assert verify(metadata) == VerifiedMetadata(customer_id="C0007", channel="app")
    assert verify(signed(customer_id=None, channel="web")) == VerifiedMetadata(
        customer_id=None, channel="web"
    )
    assert verify(metadata, now=NOW + timedelta(minutes=5)) is not None  # within its lifetime
    # The address digest the case lookups lock out by travels signed too
    assert verify(signed(address_key="a1b2c3")).address_key == "a1b2c3"


@pytest.mark.parametrize(
    "metadata",
    [
        {"customer_id": "C0007", "channel": "app"},  # what any caller of Rasa's webhook could send
        {"customer_id": "C0007", SIGNED_KEY: "not-a-jwt"},
        {SIGNED_KEY: "ä" * 10},
        {SIGNED_KEY: 12345},
        None,
        "C0007",
    ],
)
def test_unsigned_or_garbled_metadata_gives_no_customer(metadata):
    assert verify(metadata) is None


def test_a_changed_customer_id_beside_a_valid_signature_is_not_believed():
    metadata = {**signed(), "customer_id": "C9999"}
    assert verify(metadata).customer_id == "C0007"  # only the signed claim counts


def test_metadata_signed_with_another_key_for_another_conversation_or_long_ago_is_refused():
    assert verify(signed(secret="another-secret-of-enough-length-0123456789")) is None
    assert verify(signed(), conversation_id="conv-2") is None
    assert verify(signed(), now=NOW + timedelta(minutes=6)) is None
    assert verify(signed(lifetime=timedelta(days=365))) is None  # an expiry years ahead is no proof
    assert verify(signed(now=NOW + timedelta(hours=1))) is None  # issued in the future


def test_no_secret_or_a_short_one_believes_nothing():
    assert verify(signed(), secret="") is None
    short = "short"
    assert verify(signed(secret=short), secret=short) is None


def test_only_hs256_with_our_audience_passes():
    claims = {
        "sub": "conv-1",
        "cid": "C0007",
        "chn": "app",
        "aud": AUDIENCE,
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=1)).timestamp()),
    }
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert verify({SIGNED_KEY: unsigned}) is None
    other_audience = jwt.encode({**claims, "aud": "bankchat"}, SECRET, algorithm="HS256")
    assert verify({SIGNED_KEY: other_audience}) is None
    assert verify({SIGNED_KEY: jwt.encode(claims, SECRET, algorithm="HS256")}).customer_id == "C0007"
