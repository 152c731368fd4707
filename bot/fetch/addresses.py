"""Decide whether an address may be fetched: public unicast only, unless the policy allows it.

The check runs on the addresses a host actually resolves to, right before connecting, so
numeric tricks (`2130706433`, `0x7f000001`, `0177.0.0.1`) and DNS rebinding are judged by the
address they really reach.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from bot.fetch.policy import FetchPolicy

__all__ = ["IPAddress", "host_is_allowed", "refusal_reason", "unwrap_ipv6"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def unwrap_ipv6(address: IPAddress) -> IPAddress:
    """Return the IPv4 address embedded in an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return address


def refusal_reason(address: IPAddress) -> str | None:
    """Return why `address` is not a public unicast address, or None when it is."""
    inner = unwrap_ipv6(address)
    prefix = f"{address} (IPv4 {inner}) is" if inner != address else f"{address} is"
    if inner.is_unspecified:
        return f"{prefix} an unspecified address"
    if inner.is_loopback:
        return f"{prefix} a loopback address"
    if inner.is_link_local:
        return f"{prefix} a link-local address (cloud metadata lives there)"
    if inner.is_multicast:
        return f"{prefix} a multicast address"
    if isinstance(inner, ipaddress.IPv4Address) and inner in _CGNAT:
        return f"{prefix} a carrier-grade NAT address (100.64.0.0/10)"
    if isinstance(inner, ipaddress.IPv6Address) and inner in _NAT64_LOCAL:
        return f"{prefix} a local-use NAT64 address"
    if inner.is_reserved:
        return f"{prefix} a reserved address"
    if inner.is_private:
        return f"{prefix} a private-network address"
    if not inner.is_global:
        return f"{prefix} not a public address"
    return None


def _matches_host(host: str, entry: str) -> bool:
    entry = entry.strip().lower().rstrip(".")
    if not entry:
        return False
    if entry.startswith("."):
        return host.endswith(entry) or host == entry[1:]
    return host == entry or host.endswith("." + entry)


def _matches_address(address: IPAddress, entry: str) -> bool:
    try:
        network = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    candidates = {address, unwrap_ipv6(address)}
    return any(c.version == network.version and c in network for c in candidates)


def host_is_allowed(
    policy: FetchPolicy, host: str, addresses: Iterable[IPAddress]
) -> tuple[bool, str | None]:
    """Return (allowed, reason): every address must be public, or the policy must allow it."""
    if policy.allow_private_networks:
        return True, None
    host = host.lower().rstrip(".")
    if any(_matches_host(host, entry) for entry in policy.allow_hosts):
        return True, None
    for address in addresses:
        reason = refusal_reason(address)
        if reason is None:
            continue
        if any(_matches_address(address, entry) for entry in policy.allow_hosts):
            continue
        return False, reason
    return True, None
