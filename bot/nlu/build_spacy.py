"""Build the blank Dutch spaCy pipeline (tokenizer + lookup lemmatizer) and save it to disk.

No `nl_core_news_*` model can be installed here, so our NLU components (bot/nlu/) load this folder by path.
Usage: python -m bot.nlu.build_spacy models/spacy/nl_blank
"""
from __future__ import annotations

import sys
from pathlib import Path

import spacy
from spacy.language import Language


def build() -> Language:
    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the `lemma_lookup` table from spacy-lookups-data into the pipeline
    return nlp


def main(target: str) -> None:
    nlp = build()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(Path(target))
    sample = [t.lemma_ for t in nlp("ik voelde me eenzaam tussen de mensen")]
    print(f"saved blank nl pipeline to {target}; lemmas: {sample}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/spacy/nl_blank")
