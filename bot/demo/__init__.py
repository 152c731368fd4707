"""The demo's sample news (written for the project) and the loopback server that publishes it."""

from bot.demo.catalogue import DemoOutlet, DemoStory, load_catalogue
from bot.demo.feeds import DemoFeeds

__all__ = ["DemoFeeds", "DemoOutlet", "DemoStory", "load_catalogue"]
