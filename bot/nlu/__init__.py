"""Language processing pieces: the blank Dutch spaCy pipeline, phrase lists, the crisis guard, life events."""
