"""NLU quality on the held-out sets (tests/nlu/heldout_*.yml): per-intent F1 and crisis recall.

Usage: python bench/nlu_eval.py [--model models/lichtpunt.tar.gz] [--parse "some text" ...]
The held-out examples are never used for training. The crisis recall counts the full NLU pipeline,
including the CrisisGuard phrase net.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import yaml  # noqa: E402


def load_examples(path: Path) -> List[Tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in data["nlu"]:
        intent = block["intent"]
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((line[2:].strip(), intent))
    return examples


_agents: Dict[str, object] = {}


async def parse_all(model: str, texts: List[str]) -> List[Dict]:
    from rasa.core.agent import Agent

    if model not in _agents:
        _agents[model] = Agent.load(model)
    agent = _agents[model]
    return [await agent.parse_message(text) for text in texts]


def predicted_intent(parsed: Dict) -> str:
    name = parsed["intent"]["name"]
    if name == "faq":
        selector = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
        key = selector.get("intent_response_key")
        return key or "faq"
    return name


def report(gold: List[str], predicted: List[str]) -> Tuple[float, float]:
    labels = sorted(set(gold))
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, predicted):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            fp[p] += 1
    print(f"{'intent':32} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}")
    weighted, macro = 0.0, 0.0
    for label in labels:
        precision = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        recall = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        support = tp[label] + fn[label]
        weighted += f1 * support
        macro += f1
        print(f"{label:32} {precision:6.3f} {recall:6.3f} {f1:6.3f} {support:4d}")
    weighted /= len(gold)
    macro /= len(labels)
    print(f"{'weighted F1':32} {weighted:6.3f}   macro F1 {macro:.3f}   accuracy {sum(tp.values()) / len(gold):.3f}")
    return weighted, macro


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/lichtpunt.tar.gz")
    parser.add_argument("--parse", nargs="*", help="only parse these texts and print the intents")
    args = parser.parse_args()
    if args.parse:
        for text, parsed in zip(args.parse, asyncio.run(parse_all(args.model, args.parse))):
            ranking = ", ".join(f"{r['name']}={r['confidence']:.2f}" for r in parsed.get("intent_ranking", [])[:3])
            print(f"{text!r:50} -> {predicted_intent(parsed)}  [{ranking}]")
        return
    sets = {lang: load_examples(ROOT / "tests" / "nlu" / f"heldout_{lang}.yml") for lang in ("nl", "en")}
    everything = [example for examples in sets.values() for example in examples]
    parsed = asyncio.run(parse_all(args.model, [text for text, _ in everything]))
    predicted = [predicted_intent(p) for p in parsed]
    offset = 0
    errors = defaultdict(list)
    for lang, examples in sets.items():
        gold = [intent for _, intent in examples]
        mine = predicted[offset: offset + len(examples)]
        print(f"\n=== held-out {lang}: {len(examples)} examples ===")
        report(gold, mine)
        for (text, g), p in zip(examples, mine):
            if g != p:
                errors[lang].append(f"  {g:28} -> {p:28} {text}")
        offset += len(examples)
    print("\n=== both languages ===")
    report([intent for _, intent in everything], predicted)
    crisis = [(text, p) for (text, g), p in zip(everything, predicted) if g == "crisis"]
    caught = sum(p == "crisis" for _, p in crisis)
    false_alarms = sum(p == "crisis" and g != "crisis" for (_, g), p in zip(everything, predicted))
    print(f"\ncrisis recall {caught}/{len(crisis)} = {caught / len(crisis):.3f}; false crisis alarms: {false_alarms}")
    fresh_path = ROOT / "tests" / "nlu" / "crisis_fresh.yml"
    if fresh_path.exists():  # written independently of the training data and the phrase list
        fresh = load_examples(fresh_path)
        fresh_pred = [predicted_intent(p) for p in asyncio.run(parse_all(args.model, [t for t, _ in fresh]))]
        positives = [(t, p) for (t, g), p in zip(fresh, fresh_pred) if g == "crisis"]
        negatives = [(t, p) for (t, g), p in zip(fresh, fresh_pred) if g != "crisis"]
        hit = sum(p == "crisis" for _, p in positives)
        alarms = sum(p == "crisis" for _, p in negatives)
        print(f"fresh crisis set: recall {hit}/{len(positives)} = {hit / len(positives):.3f}; "
              f"false alarms {alarms}/{len(negatives)}")
        for text, p in positives:
            if p != "crisis":
                errors["fresh crisis missed"].append(f"  crisis -> {p:28} {text}")
        for text, p in negatives:
            if p == "crisis":
                errors["fresh false alarm"].append(f"  not_crisis -> crisis {text}")
    for lang, lines in errors.items():
        print(f"\nmisclassified ({lang}):")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
