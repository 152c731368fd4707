"""Which addresses the safe client refuses, and how the policy opens them."""

from __future__ import annotations

import ipaddress

import pytest

from bot.fetch.addresses import host_is_allowed, refusal_reason, unwrap_ipv6
from bot.fetch.policy import FetchPolicy


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "(IPv4 127.0.0.1) is a loopback"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("10.2.3.4", "private"),
        ("172.31.0.1", "private"),
        ("192.168.0.10", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "private-network"),
    ],
)
def test_non_public_addresses_are_refused_with_their_class(address: str, why: str) -> None:
    reason = refusal_reason(ipaddress.ip_address(address))
    assert reason is not None and why in reason


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_ipv4_mapped_addresses_are_unwrapped() -> None:
    mapped = ipaddress.ip_address("::ffff:10.0.0.1")
    assert unwrap_ipv6(mapped) == ipaddress.ip_address("10.0.0.1")


def test_allow_hosts_matches_names_suffixes_and_networks() -> None:
    private = [ipaddress.ip_address("10.0.0.5")]
    policy = FetchPolicy(allow_hosts=("corp.example", ".lab.test", "192.168.7.0/24"))
    assert host_is_allowed(policy, "corp.example", private)[0]
    assert host_is_allowed(policy, "wiki.corp.example", private)[0]
    assert host_is_allowed(policy, "x.lab.test", private)[0]
    assert not host_is_allowed(policy, "evilcorp.example", private)[0]
    assert host_is_allowed(policy, "printer", [ipaddress.ip_address("192.168.7.9")])[0]
    allowed, reason = host_is_allowed(policy, "printer", [ipaddress.ip_address("192.168.8.9")])
    assert not allowed and reason is not None and "private" in reason


def test_allow_private_networks_allows_everything() -> None:
    policy = FetchPolicy(allow_private_networks=True)
    assert host_is_allowed(policy, "localhost", [ipaddress.ip_address("127.0.0.1")]) == (True, None)
