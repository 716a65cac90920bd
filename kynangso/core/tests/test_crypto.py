import hashlib
import hmac

from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from kynangso.core import crypto


@given(value=st.text(max_size=40), purpose=st.sampled_from(["cccd", "activation", "token"]))
def test_keyed_hash_is_hmac_sha256_of_the_purpose_and_value(value, purpose):
    """Stored CCCD hashes and activation codes depend on it: the same HMAC-SHA256 whatever the code does."""
    with override_settings(FIELD_ENCRYPTION_KEY="khoá-thử-nghiệm"):
        key = hashlib.sha256("kynangso-hash:khoá-thử-nghiệm".encode()).digest()
        expected = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
        assert crypto.keyed_hash(value, purpose) == expected
        assert crypto.keyed_hash(value, purpose) == expected  # the keyed MAC is copied, never updated itself


def test_encryption_round_trips_with_a_fresh_nonce():
    token = crypto.encrypt("001190012345")
    assert crypto.decrypt(token) == "001190012345"
    assert crypto.encrypt("001190012345") != token
