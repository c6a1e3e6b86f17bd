"""Chartdesk: health information management for the people who keep medical records."""

__version__ = "0.1.0"
