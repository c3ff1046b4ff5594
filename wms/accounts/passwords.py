"""Password hashing with scrypt from the standard library (memory-hard, salted)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

# The cost is written into every hash, so a hash made with any cost still verifies; the test
# suite lowers it (WMS_SCRYPT_N) to keep hundreds of demo logins fast.
N, R, P = int(os.environ.get("WMS_SCRYPT_N", 2**14)), 8, 1
SCHEME = "scrypt"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return "$".join([SCHEME, str(N), str(R), str(P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != SCHEME:
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                               r=int(r), p=int(p), dklen=32, maxmem=64 * 1024 * 1024)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


# Verified against when the login is unknown, so that both answers take the same time.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
