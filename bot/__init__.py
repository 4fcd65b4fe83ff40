"""Lichtpunt: everything around Rasa (settings, storage, content, channels)."""
