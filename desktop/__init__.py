"""Tokenmirror: a private tracker of your own AI coding-assistant usage."""

__version__ = "0.1.0"
