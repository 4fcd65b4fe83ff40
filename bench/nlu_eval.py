"""NLU quality per evaluation set: intent accuracy and weighted F1 per language, crisis recall and false alarms.

Usage: python bench/nlu_eval.py [--model models/lichtpunt.tar.gz] [--rasa-url URL --token T]
                               [--sets dev fresh/round1 ...] [--errors dev] [--json out.json] [--parse TEXT ...]

Sets (tests/nlu/):
- `dev/`: development sets. Their errors were read while tuning, so their figures are optimistic.
- `fresh/roundN/`: written by someone who never saw the training data. Report each round once, after tuning,
  and never tune on its errors (they are not printed unless asked with --errors fresh/roundN).
The whole NLU pipeline counts, including the crisis phrase net and detector (bot/nlu/crisis_guard.py).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
NLU_SETS = ROOT / "tests" / "nlu"
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

NOT_CRISIS = "not_crisis"  # label for look-alikes in crisis-only sets

Example = Tuple[str, str]


def load_examples(path: Path) -> List[Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in data["nlu"]:
        if "intent" not in block:  # a regex, lookup table or synonym: no labelled messages
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((line[2:].strip(), block["intent"]))
    return examples


def set_files(name: str) -> List[Path]:
    return sorted((NLU_SETS / name).glob("*.yml"))


def available_sets() -> List[str]:
    names = ["dev"] if (NLU_SETS / "dev").is_dir() else []
    return names + sorted(f"fresh/{p.name}" for p in (NLU_SETS / "fresh").glob("round*") if p.is_dir())


def predicted_intent(parsed: Dict) -> str:
    name = parsed["intent"]["name"]
    if name == "faq":
        selector = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
        return selector.get("intent_response_key") or "faq"
    return name


def figures(examples: Sequence[Example], predicted: Sequence[str]) -> Dict[str, float]:
    """Accuracy and weighted F1 (when the set has intents), crisis recall and false-alarm rate."""
    gold = [intent for _, intent in examples]
    result: Dict[str, float] = {"n": len(gold)}
    crisis = [p for g, p in zip(gold, predicted) if g == "crisis"]
    calm = [p for g, p in zip(gold, predicted) if g != "crisis"]
    if crisis:
        result["crisis_recall"] = sum(p == "crisis" for p in crisis) / len(crisis)
        result["crisis_n"] = len(crisis)
    if calm:
        result["false_alarm_rate"] = sum(p == "crisis" for p in calm) / len(calm)
        result["false_alarms"] = sum(p == "crisis" for p in calm)
    if NOT_CRISIS in gold:
        return result
    labels = sorted(set(gold))
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, predicted):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            fp[p] += 1
    weighted = 0.0
    for label in labels:
        precision = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        recall = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        weighted += f1 * (tp[label] + fn[label])
    result["accuracy"] = sum(tp.values()) / len(gold)
    result["weighted_f1"] = weighted / len(gold)
    return result


def agent_parser(model: str) -> Callable[[List[str]], List[Dict]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)

    def parse(texts: List[str]) -> List[Dict]:
        async def run() -> List[Dict]:
            return [await agent.parse_message(t) for t in texts]

        return asyncio.run(run())

    return parse


def http_parser(rasa_url: str, token: Optional[str]) -> Callable[[List[str]], List[Dict]]:
    import requests

    def parse(texts: List[str]) -> List[Dict]:
        params = {"token": token} if token else {}
        out = []
        with requests.Session() as session:
            for text in texts:
                response = session.post(f"{rasa_url}/model/parse", json={"text": text}, params=params, timeout=30)
                response.raise_for_status()
                out.append(response.json())
        return out

    return parse


def evaluate(names: Sequence[str], parse: Callable[[List[str]], List[Dict]]) -> Dict[str, Dict[str, Dict]]:
    """{set name: {file stem: figures + errors}}."""
    results: Dict[str, Dict[str, Dict]] = {}
    for name in names:
        results[name] = {}
        for path in set_files(name):
            examples = load_examples(path)
            predicted = [predicted_intent(p) for p in parse([t for t, _ in examples])]
            entry: Dict = figures(examples, predicted)
            entry["errors"] = [
                (text, g, p) for (text, g), p in zip(examples, predicted)
                if g != p and not (g == NOT_CRISIS and p != "crisis")
            ]
            results[name][path.stem] = entry
    return results


def print_results(results: Dict[str, Dict[str, Dict]], show_errors: Sequence[str]) -> None:
    for name, files in results.items():
        tuned = "tuned on: optimistic" if name == "dev" else "never tuned on"
        print(f"\n=== {name} ({tuned}) ===")
        for stem, entry in files.items():
            parts = [f"{stem:7} n={entry['n']:4d}"]
            if "accuracy" in entry:
                parts.append(f"accuracy {entry['accuracy']:.3f}  weighted F1 {entry['weighted_f1']:.3f}")
            if "crisis_recall" in entry:
                caught = round(entry["crisis_recall"] * entry["crisis_n"])
                parts.append(f"crisis recall {caught}/{entry['crisis_n']} = {entry['crisis_recall']:.3f}")
            if "false_alarm_rate" in entry:
                parts.append(f"false alarms {entry['false_alarms']} ({entry['false_alarm_rate']:.1%})")
            print("  ".join(parts))
            if name in show_errors:
                for text, gold, predicted in entry["errors"]:
                    print(f"    {gold:28} -> {predicted:28} {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models" / "lichtpunt.tar.gz"))
    parser.add_argument("--rasa-url", help="parse through a running Rasa server (--enable-api) instead")
    parser.add_argument("--token", help="the running server's --auth-token")
    parser.add_argument("--sets", nargs="*", help="default: every set in tests/nlu/")
    parser.add_argument("--errors", nargs="*", default=["dev"], help="sets whose misclassifications are printed")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--parse", nargs="*", help="only parse these texts and print the intents")
    args = parser.parse_args()
    parse = http_parser(args.rasa_url, args.token) if args.rasa_url else agent_parser(args.model)
    if args.parse:
        for text, parsed in zip(args.parse, parse(args.parse)):
            ranking = ", ".join(f"{r['name']}={r['confidence']:.2f}" for r in parsed.get("intent_ranking", [])[:3])
            entities = [(e["entity"], e["value"]) for e in parsed.get("entities", [])]
            print(f"{text!r:50} -> {predicted_intent(parsed)} crisis_score={parsed.get('crisis_score')} "
                  f"[{ranking}] {entities or ''}")
        return
    results = evaluate(args.sets or available_sets(), parse)
    print_results(results, args.errors)
    if args.json:
        slim = {n: {s: {k: v for k, v in e.items() if k != "errors"} for s, e in f.items()} for n, f in results.items()}
        Path(args.json).write_text(json.dumps(slim, indent=2))


if __name__ == "__main__":
    main()
