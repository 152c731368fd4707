"""What the safe client may fetch and how politely: one frozen value the settings map onto."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_USER_AGENT", "FetchPolicy"]

DEFAULT_USER_AGENT = "Wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and permissions of the safe HTTP client (the `[fetch]` settings)."""

    allow_private_networks: bool = False
    allow_hosts: tuple[str, ...] = ()
    max_bytes: int = 10 * 1024 * 1024
    timeout_s: float = 20.0
    connect_timeout_s: float = 10.0
    max_redirects: int = 5
    per_host_concurrency: int = 2
    min_host_spacing_s: float = 0.0
    user_agent: str = DEFAULT_USER_AGENT
    proxy: str | None = None
