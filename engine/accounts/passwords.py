"""Password hashing with the standard library's scrypt: `scrypt$n$r$p$salt$hash` (hex), compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from engine.domain.errors import InvalidInput

_N, _R, _P = 2 ** 14, 8, 1  # 16 MiB and ~50 ms a check on this machine's class of CPU
MIN_LENGTH, MAX_LENGTH = 10, 128


def check_strength(password: str) -> None:
    """A password of 10 to 128 characters mixing letters and digits (or other signs)."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(f"密码需 {MIN_LENGTH}–{MAX_LENGTH} 个字符 (a password needs {MIN_LENGTH} to {MAX_LENGTH} characters)")
    if password.isalpha() or password.isdigit():
        raise InvalidInput("密码需同时包含字母和数字或符号 (mix letters with digits or signs)")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def dummy_verify(password: str) -> None:
    """Spend the time of a real check for a user that does not exist (no user enumeration by timing)."""
    verify_password(_DUMMY, password)


_DUMMY = f"scrypt${_N}${_R}${_P}${'00' * 16}${'00' * 32}"
