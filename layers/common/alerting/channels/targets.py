"""Where a webhook may go: https (or, in local mode, http) to hosts that resolve only to public
addresses. Checked when a channel is saved (``check_target``) and again at each send
(``ensure_target``), whose `Target` pins the addresses it vetted. The URL never appears in an
error: webhook URLs are secrets.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from alerting.errors import DeliveryError, InvalidInput

# IPv6 is public only inside 2000::/3, IANA's global unicast space; all else is special-purpose
# (IPv4-compatible ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, site-local
# fec0::/10, SRv6 5f00::/16, ...) or unassigned, though Python's `is_global` (3.11 and 3.13
# alike) calls some of them global. IPv4-mapped addresses are checked as the IPv4 address they
# are, 6to4 and Teredo by what they embed; within 2000::/3 these are refused besides what
# `is_global` refuses, whatever this Python version's registry holds:
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_REFUSED_V6 = (ipaddress.ip_network("3fff::/20"),)  # documentation (RFC 9637), newer than 3.13.0
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks, with the addresses it resolved to: the connection goes to
    one of these, so a second lookup (DNS rebinding) cannot send it elsewhere."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[tuple[socket.AddressFamily, tuple[Any, ...]], ...]  # (family, sockaddr)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == (443 if self.scheme == "https" else 80) else f"{host}:{self.port}"


def check_target(url: str, allow_private: bool, *, field: str = "url") -> None:
    """Reject a webhook target that is not https or resolves to a non-public address.

    ``allow_private`` (local mode, tests) also admits http and private/loopback hosts. The URL
    never appears in the error.
    """
    problem = _vet(url, allow_private, resolve=not allow_private)
    if isinstance(problem, tuple):
        raise InvalidInput(field, problem[0])


def ensure_target(url: str, allow_private: bool, *, label: str) -> Target:
    """``check_target`` at send time: a failed lookup may be transient, anything else is final."""
    vetted = _vet(url, allow_private)
    if isinstance(vetted, tuple):
        message, retryable = vetted
        raise DeliveryError(f"{label} target rejected: {message}", retryable=retryable)
    return vetted


def _vet(url: str, allow_private: bool, *, resolve: bool = True) -> Target | tuple[str, bool]:
    """The target, or what is wrong with ``url`` and whether asking again later could help.
    ``resolve=False`` checks the form only (a private target saved in local mode)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL", False
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        return ("must be an http(s) URL" if allow_private else "must be an https URL"), False
    if not parts.hostname:
        return "has no host", False
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not resolve:
        return Target(parts.scheme, parts.hostname, port, path, ())
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return "host does not resolve", getattr(exc, "errno", None) == socket.EAI_AGAIN
    addresses = tuple(dict.fromkeys((info[0], tuple(info[4])) for info in infos))
    if not allow_private and not all(is_public(str(sockaddr[0])) for _, sockaddr in addresses):
        return "host resolves to a private, loopback, link-local or reserved address", False
    return Target(parts.scheme, parts.hostname, port, path, addresses)


def is_public(address: str) -> bool:
    """A globally routable unicast address, also after unwrapping the IPv4 address an IPv6
    form carries (mapped, 6to4, Teredo); IPv4-compatible, IPv4-translated, NAT64 and site-local
    forms are never public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return is_public(str(ip.ipv4_mapped))  # ::ffff:10.0.0.1 is 10.0.0.1
        if ip not in _GLOBAL_UNICAST_V6 or any(ip in net for net in _REFUSED_V6):
            return False
        if ip in _SIX_TO_FOUR:
            return ip.sixtofour is not None and is_public(str(ip.sixtofour))
        if ip in _TEREDO:
            server, client = ip.teredo or (None, None)
            return server is not None and client is not None and is_public(str(server)) and is_public(str(client))
    return ip.is_global and not ip.is_multicast
