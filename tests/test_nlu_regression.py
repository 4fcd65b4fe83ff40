"""The NLU holds its ground on the development sets (tests/nlu/dev): crisis recall never below the last reported
figure (1.0 on every set on the model that ships), intent accuracy
and false alarms within two points of it (tests/nlu/dev/figures.json, written by `bench/nlu_eval.py --json`).

These sets were read while tuning, so they guard against regressions; the fresh sets (tests/nlu/fresh) are for
reporting once, never for a test that is iterated on.
"""
import json

from bench.nlu_eval import evaluate
from tests.conftest import ROOT, Servers

ALLOWED_DROP = 0.02


def test_development_sets_keep_crisis_recall_and_accuracy(servers: Servers) -> None:
    reported = json.loads((ROOT / "tests" / "nlu" / "dev" / "figures.json").read_text())["dev"]
    results = evaluate(["dev"], lambda texts: [servers.parse(t) for t in texts])["dev"]
    assert set(results) == set(reported)
    for name, entry in results.items():
        if "crisis_recall" in entry:
            missed = [text for text, gold, predicted in entry["errors"] if gold == "crisis"]
            assert entry["crisis_recall"] >= reported[name]["crisis_recall"], f"{name}: crisis messages missed: {missed}"
        if "accuracy" in reported[name]:
            floor = reported[name]["accuracy"] - ALLOWED_DROP
            assert entry["accuracy"] >= floor, f"{name}: accuracy {entry['accuracy']:.3f} < {floor:.3f}"
        if "false_alarm_rate" in reported[name]:
            ceiling = reported[name]["false_alarm_rate"] + ALLOWED_DROP
            assert entry["false_alarm_rate"] <= ceiling, f"{name}: false alarms {entry['false_alarm_rate']:.3f}"
