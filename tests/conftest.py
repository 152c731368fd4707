"""Fixtures shared across the test folders."""

from __future__ import annotations

import pytest


@pytest.fixture
def discord_endpoints_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put discord.py's REST base and gateway address back after a test that points them at a fake."""
    import discord

    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
