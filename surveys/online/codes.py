"""One-time survey codes (mã khảo sát): short, random, read aloud or typed from paper without ambiguity."""

import secrets

#: 32 characters: digits and capitals without 0/O and 1/I (easily mistaken on paper and phones).
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8  # 32⁸ ≈ 1,1 × 10¹² codes: guessing one of a campaign's few thousand is hopeless


def new_code() -> str:
    """A fresh random code of ``LENGTH`` characters of ``ALPHABET`` (``secrets``: unpredictable)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str:
    """A code as typed → as stored: spaces and dashes dropped, capitals ("ab3d-efgh" → "AB3DEFGH"). No
    letter is guessed back (an "O" typed stays an "O", which no code holds, so it is simply unknown)."""
    return "".join(ch for ch in str(typed or "") if ch not in " -\t").upper()


def well_formed(code: str) -> bool:
    """True when ``code`` (normalised) could be a code: ``LENGTH`` characters of ``ALPHABET``. Anything else —
    a typo, a NUL byte, a 5,000-character string — is unknown without asking the database (PostgreSQL refuses
    NUL in text)."""
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)
