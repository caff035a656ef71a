"""TDLib's tdutils helpers that the parser and the link checker share, on raw UTF-8 bytes.

ASCII-only character classes (``is_space`` counts NUL but not form feed), ``to_integer`` with
C++'s wrapping arithmetic, ``to_integer_safe``, and bytes back to ``str`` as TDLib made them.
"""

from __future__ import annotations

from typing import Final

_SPACES: Final = frozenset(b" \t\n\v\r\0")  # TDLib's is_space: no form feed, but NUL


def _is_alpha(c: int) -> bool:
    """ASCII letters only, like TDLib's ``is_alpha`` (and the ``_is_*`` below)."""
    return 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _is_digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66


def _is_alnum(c: int) -> bool:
    return _is_alpha(c) or _is_digit(c)


def _to_integer(value: bytes, bits: int) -> int:
    """TDLib's ``to_integer<intN>``: optional ``-``, leading digits, wrapping arithmetic."""
    modulus, maximum = 1 << bits, (1 << (bits - 1)) - 1
    negative = value.startswith(b"-")
    number = 0
    for c in value[1:] if negative else value:
        if not _is_digit(c):
            break
        number = (number * 10 + c - 0x30) % modulus
    if number > maximum:
        number = (modulus - number) % modulus
        negative = not negative
        if number > maximum:
            return -maximum - 1
    return -number if negative else number


def _to_integer_safe(value: bytes, bits: int) -> int | None:
    """TDLib's ``to_integer_safe``: the number only if it prints back as exactly ``value``."""
    number = _to_integer(value, bits)
    return number if str(number).encode() == value else None


def _text_of(data: bytes) -> str:
    """Bytes TDLib produced as ``str`` (a decoded surrogate in an attribute is kept)."""
    return data.decode("utf-8", "surrogatepass")
