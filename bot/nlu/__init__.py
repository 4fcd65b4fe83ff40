"""Language processing pieces: the blank Dutch spaCy pipeline, phrase lists, the crisis guard, life events."""
import hashlib
from pathlib import Path
from typing import Iterable


def files_digest(paths: Iterable[Path], start: str = "") -> str:
    """A digest of `start` and the names and contents of `paths`, in name order."""
    digest = hashlib.sha256(start.encode())
    for path in sorted(paths):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """A digest of this package's source. Rasa reuses a trained component while its config and data are unchanged;
    our trainable components add this, so a change in how they learn (not only in what) trains them again."""
    return files_digest(Path(__file__).parent.glob("*.py"))
