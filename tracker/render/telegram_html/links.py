"""The links of ``<a href>``: TDLib's ``LinkManager::get_link_user_id``, ``check_link`` and
``parse_url`` (tdutils ``HttpUrl``).

A ``tg://user?id=N`` link is a text mention; any other link is checked and normalised like
TDLib does (``example.com`` becomes ``http://example.com/``), or refused, which drops the
entity silently.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from tracker.render.telegram_html.tdutils import _SPACES, _is_alnum, _is_hex, _to_integer_safe


def _link_user_id(url: bytes) -> int | None:
    """The user of a ``tg://user?id=N`` link (any case), whatever N is; None if not one."""
    rest = url.lower()
    if not rest.startswith(b"tg:"):
        return None
    rest = rest[3:]
    rest = rest.removeprefix(b"//")
    if not rest.startswith(b"user"):
        return None
    rest = rest[4:].removeprefix(b"/")
    if not rest.startswith(b"?"):
        return None
    rest = rest[1:].split(b"#", 1)[0]
    for parameter in rest.split(b"&"):
        key, _, value = parameter.partition(b"=")
        if key == b"id":
            return _to_integer_safe(value, 64)
    return None


@dataclass(frozen=True, slots=True)
class _HttpUrl:
    https: bool
    userinfo: bytes
    host: bytes
    is_ipv6: bool
    specified_port: int
    query: bytes

    def get_url(self) -> bytes:
        userinfo = self.userinfo + b"@" if self.userinfo else b""
        port = b":%d" % self.specified_port if self.specified_port > 0 else b""
        scheme = b"https://" if self.https else b"http://"
        return scheme + userinfo + self.host + port + self.query


def _checked_link(link: bytes) -> bytes | None:
    """The normalised link TDLib keeps for ``<a href>``, or None if it drops the entity."""
    lowered = link[:8].lower()
    scheme = next((s for s in (b"tg", b"ton", b"tonsite") if lowered.startswith(s + b":")), b"")
    if scheme:
        link = link[len(scheme) + 1 :].removeprefix(b"//")
    url = _parse_url(link)
    if url is None:
        return None
    if not scheme:
        return url.get_url() if b"." in url.host or url.is_ipv6 else None
    if (
        link[:7].lower() == b"http://"
        or url.https
        or url.userinfo
        or url.specified_port != 0
        or url.is_ipv6
    ):
        return None
    query = url.query
    if query[1:2] == b"?":
        query = query[1:]
    allowed = b"-_." if scheme == b"tonsite" else b"-_"
    if any(not _is_alnum(c) and c not in allowed for c in url.host):
        return None
    return scheme + b"://" + url.host + query


def _first_of(data: bytes, stops: bytes, start: int = 0) -> int:
    return next((k for k in range(start, len(data)) if data[k] in stops), len(data))


def _parse_url(url: bytes) -> _HttpUrl | None:
    """``[http(s)://][userinfo@]host[:port][/path?query#fragment]``, checked; None if invalid."""
    protocol_end = _first_of(url, b":/?#@[]")
    https = False
    start = 0
    if url[protocol_end : protocol_end + 3] == b"://":
        protocol = url[:protocol_end].lower()
        if protocol not in (b"http", b"https"):
            return None
        https = protocol == b"https"
        start = protocol_end + 3
    authority_end = _first_of(url, b"/?#", start)
    authority, query = url[start:authority_end], url[authority_end:]
    port = 0
    colon = len(authority) - 1
    while colon > 0 and authority[colon] not in b":]@":
        colon -= 1
    if colon > 0 and authority[colon] == 0x3A:
        digits = authority[colon + 1 :]
        while len(digits) > 1 and digits[0] == 0x30:
            digits = digits[1:]
        number = _to_integer_safe(digits, 32)
        port = number if number else -1
        authority = authority[:colon]
    if not 0 <= port <= 65535:
        return None
    userinfo, _, host = authority.rpartition(b"@")
    is_ipv6 = host[:1] == b"[" and host[-1:] == b"]"
    if is_ipv6 and not _is_ipv6_address(host):
        return None
    if not host or host == b".":
        return None
    query = query.rstrip(bytes(_SPACES))
    if not query:
        query = b"/"
    fixed = bytearray() if query.startswith(b"/") else bytearray(b"/")
    for c in query:
        fixed += b"%%%02X" % c if c <= 0x20 else bytes((c,))
    host = host.lower()
    if is_ipv6:
        if any(c not in b":0123456789abcdef." for c in host[1:-1]):
            return None
    elif not _is_url_part(host, allow_colon=False) or not _is_url_part(userinfo, allow_colon=True):
        return None
    return _HttpUrl(https, userinfo, host, is_ipv6, port, bytes(fixed))


def _is_url_part(part: bytes, *, allow_colon: bool) -> bool:
    """RFC 3986 characters, ``%XX`` escapes and any non-ASCII byte; ``:`` in user info."""
    allowed = b".-_!$,~*'();&+=" + (b":" if allow_colon else b"")
    i = 0
    while i < len(part):
        c = part[i]
        if _is_alnum(c) or c in allowed or c >= 0x80:
            i += 1
        elif c == 0x25 and _is_hex(_at(part, i + 1)) and _is_hex(_at(part, i + 2)):
            i += 3
        else:
            return False
    return True


def _at(data: bytes, index: int) -> int:
    return data[index] if index < len(data) else 0


def _is_ipv6_address(host: bytes) -> bool:
    """``[...]`` holds an address ``inet_pton`` accepts (read as a C string, up to a NUL)."""
    inner = host[1:-1] if len(host) > 2 else host
    inner = inner.split(b"\0", 1)[0]
    try:
        socket.inet_pton(socket.AF_INET6, inner.decode("ascii"))
    except (OSError, ValueError):
        return False
    return True
