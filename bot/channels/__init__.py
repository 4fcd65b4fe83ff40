"""Thin channel adapters: translate a channel's messages to and from the Rasa REST channel."""
