"""Language processing pieces: the blank Dutch spaCy pipeline and the crisis safety net."""
