"""Where the tracker may fetch from: public addresses, and redirects that stay on a document's site.

Pure functions over host names, IP addresses and URLs, without I/O (resolving a name is
:mod:`tracker.fetch.fetcher`'s job). :mod:`tracker.config` uses them on the configured URLs (IP
literals, ``redirect_hosts``); :mod:`tracker.fetch.fetcher` on resolved names, on every redirect
target and on the peer of every connection.

A page fetched from a private, loopback, link-local, unspecified, multicast or reserved address
is not a platform's public legal text, and fetching one on a configuration's or a server's say
(a redirect to ``http://169.254.169.254/``) is how a monitor gets turned against its own
network. Such addresses are refused unless ``allow_private_addresses = true`` under ``[fetch]``
in ``config/tracker.toml``; tests and tools that serve pages on 127.0.0.1 set it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: A DNS host name (RFC 1123 labels), lower case, without a trailing dot.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*")
#: The legacy IPv4 spellings ``inet_aton`` accepts (``127.1``, ``0x7f.0.0.1``, ``2130706433``).
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def refused_kind(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public address (``"loopback"``, ``"private"`` ...), or None.

    An IPv4 address mapped into IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address; an
    IPv6 zone (``fe80::1%eth0``) is ignored.

    Raises:
        ValueError: ``address`` is not an IP address.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0]) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    kinds = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),  # e.g. 100.64.0.0/10, carrier-grade NAT
    )
    return next((kind for kind, applies in kinds if applies), None)


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells (with or without IPv6 brackets), or None for a name.

    Legacy IPv4 spellings that resolvers accept (``127.1``, ``2130706433``) count as addresses.
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def normal_host(host: str) -> str:
    """``host`` as compared: lower case, without a trailing dot or IPv6 brackets."""
    return host.strip("[]").rstrip(".").lower()


def is_host_name(value: str) -> bool:
    """True if ``value`` is a bare host name or IP address (no scheme, port, path or user)."""
    host = normal_host(value)
    return bool(_HOST_NAME.fullmatch(host)) or literal_address(host) is not None


def has_credentials(url: str) -> bool:
    """True if ``url`` holds a user name or password (``https://user:pass@host/``)."""
    parts = urlsplit(url)
    return parts.username is not None or parts.password is not None or "@" in parts.netloc


def stays_on_site(origin: str, target: str, extra_hosts: tuple[str, ...] = ()) -> bool:
    """True if a redirect from a document at ``origin`` to ``target`` may be followed.

    It may when ``target`` is on the document's origin (same host, same port, same scheme or
    the upgrade from http to https: ``http://host/`` → ``https://host/`` with default ports, or
    on one explicit port), or on one of ``extra_hosts`` (the document's ``redirect_hosts``, any
    port). Host names are compared without case and without a trailing dot.
    """
    there = urlsplit(target)
    host = normal_host(there.hostname or "")
    if not host:
        return False
    if host in {normal_host(h) for h in extra_hosts}:
        return True
    here = urlsplit(origin)
    if host != normal_host(here.hostname or ""):
        return False
    schemes = (here.scheme.lower(), there.scheme.lower())
    if schemes not in {("http", "http"), ("https", "https"), ("http", "https")}:
        return False
    ports = (_port(here), _port(there))
    if None in ports:
        return False
    return ports[0] == ports[1] or (schemes == ("http", "https") and ports == (80, 443))


def server_of(url: str) -> str:
    """The server that politeness is kept per: ``url``'s host, with its port when not the default.

    ``https://www.linkedin.com/legal`` and ``http://www.linkedin.com/`` share ``www.linkedin.com``;
    ``http://127.0.0.1:8001/`` and ``http://127.0.0.1:8002/`` are two servers (a port is a
    server of its own, as it is for robots.txt, RFC 9309 section 2.3).
    """
    parts = urlsplit(url)
    host = normal_host(parts.hostname or "")
    port = _port(parts)
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        return None
    return port if port is not None else _DEFAULT_PORTS.get(parts.scheme.lower())
