"""The sandbox's notification signing key and the ``X-EBAY-SIGNATURE`` header.

eBay signs each push notification with an elliptic-curve key and sends, in
``X-EBAY-SIGNATURE``, base64 of the JSON ``{"alg", "kid", "signature", "digest"}``:
``signature`` is base64 of the DER-encoded ECDSA signature of the raw body with SHA-1
(``digest``), ``kid`` names the key that getPublicKey serves. eBay's event-notification
SDKs verify exactly that: decode the header, fetch the public key by ``kid`` (cached),
verify ``SHA1withECDSA`` over the body. The curve is P-256.

getPublicKey answers the PEM the way eBay does, on one line with no line breaks
between the armour and the base64 (the SDKs re-insert them before loading the key), so
a receiver that only copes with textbook PEM fails here as it would against eBay.

Written with the ``cryptography`` library (DESIGN.md section 7); nothing else here is
more than glue.
"""

from __future__ import annotations

import base64
import json
import secrets

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stockbridge.sandbox.ebay.notification_state import SigningKeyRecord

ALGORITHM = "ECDSA"
DIGEST = "SHA1"


def new_signing_key() -> SigningKeyRecord:
    """A fresh P-256 key pair with a random key id (32 hex digits, as eBay's ids look)."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return SigningKeyRecord(
        key_id=secrets.token_hex(16), private_key_pem=private_pem, public_key_pem=public_pem
    )


def served_public_key(key: SigningKeyRecord) -> str:
    """The PEM as getPublicKey returns it: armour and base64 run together on one line."""
    return "".join(key.public_key_pem.splitlines())


def _private_key(key: SigningKeyRecord) -> ec.EllipticCurvePrivateKey:
    loaded = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


def signature_header(key: SigningKeyRecord, body: bytes) -> str:
    """The ``X-EBAY-SIGNATURE`` value for exactly these body bytes."""
    der = _private_key(key).sign(body, ec.ECDSA(hashes.SHA1()))  # noqa: S303 (eBay's digest)
    header = {
        "alg": "ecdsa",
        "kid": key.key_id,
        "signature": base64.b64encode(der).decode(),
        "digest": DIGEST,
    }
    return base64.b64encode(json.dumps(header, separators=(",", ":")).encode()).decode()
