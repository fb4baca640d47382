"""Benchmark: how well the suggested units match what a careful tutor would accept.

Reads the labelled evaluation set (``bench/suggest_eval/*.yaml``: evidence texts written for
it, each with the units a tutor would accept, labels written before any ranker ran), ranks the
units of each item's standard with every ranker available (lexical always; semantic and
combined when the optional ``semantic`` extra is installed) and prints, per standard, per
ranker and per split (``dev``, the ~70% looked at while tuning, and ``held-out``, the ~30%
never looked at), with the whole set last:

- top-1 precision: share of items whose first suggestion is an accepted unit;
- recall@3, recall@5: share of an item's accepted units among its first 3 (5) suggestions,
  averaged over items (``|accepted ∩ top k| / |accepted|``);
- hit@5: share of items with at least one accepted unit among the first 5 (what the form shows);
- MRR: mean over items of 1 / the rank of the first accepted unit (0 when none is ranked);
- latency per item, p50 and p95 (ms), after a warm-up (indexes and embeddings built);

and the model's load time and resident memory (RSS delta of this process).

    .venv/bin/python bench/suggest.py                 # every ranker available
    .venv/bin/python bench/suggest.py --ranker lexical
    .venv/bin/python bench/suggest.py --split held-out
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from showcase.standards.files import load_file  # noqa: E402
from showcase.suggest import rank  # noqa: E402

EVAL_DIR = ROOT / "bench" / "suggest_eval"
STANDARD_FILES = {
    "ST0072": ROOT / "showcase/standards/data/st0072-ap02.yaml",
    "TLII4001": ROOT / "showcase/standards/data/tlii4001.yaml",
}
#: Share of items kept out of tuning, chosen by each id's hash so the split never changes.
HELD_OUT_SHARE = 0.3


@dataclass(frozen=True)
class Item:
    id: str
    standard: str
    text: str
    accepted: frozenset[str]

    split: str = "dev"


def _digest(item_id: str) -> str:
    return hashlib.sha256(item_id.encode()).hexdigest()


def with_splits(items: list[Item]) -> list[Item]:
    """Hold out, per standard, the 30% of items whose ids hash lowest (fixed, never tuned on)."""
    held: set[str] = set()
    for standard in {i.standard for i in items}:
        ids = sorted((i.id for i in items if i.standard == standard), key=_digest)
        held.update(ids[: round(len(ids) * HELD_OUT_SHARE)])
    return [
        Item(i.id, i.standard, i.text, i.accepted, "held-out" if i.id in held else "dev")
        for i in items
    ]


def load_items() -> list[Item]:
    items = []
    for path in sorted(EVAL_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        standard = data["standard"]
        for entry in data["items"]:
            items.append(
                Item(
                    id=entry["id"],
                    standard=standard,
                    text=entry["text"],
                    accepted=frozenset(f"{standard}/{ref}" for ref in entry["units"]),
                )
            )
    return with_splits(items)


def catalogue(standard: str) -> rank.Catalogue:
    path = STANDARD_FILES[standard]
    doc = load_file(path)
    key = hashlib.sha256(path.read_bytes()).hexdigest()
    return rank.Catalogue(key, rank.units_of(doc))


@dataclass
class Scores:
    top1: list[float]
    recall3: list[float]
    recall5: list[float]
    hit5: list[float]
    rr: list[float]
    ms: list[float]

    @classmethod
    def empty(cls) -> Scores:
        return cls([], [], [], [], [], [])

    def add(self, item: Item, refs: list[str], ms: float) -> None:
        accepted = item.accepted
        self.top1.append(1.0 if refs[:1] and refs[0] in accepted else 0.0)
        self.recall3.append(len(accepted & set(refs[:3])) / len(accepted))
        self.recall5.append(len(accepted & set(refs[:5])) / len(accepted))
        self.hit5.append(1.0 if accepted & set(refs[:5]) else 0.0)
        first = next((i for i, ref in enumerate(refs, 1) if ref in accepted), None)
        self.rr.append(1 / first if first else 0.0)
        self.ms.append(ms)

    def row(self, label: str) -> str:
        def mean(values: list[float]) -> str:
            return f"{statistics.fmean(values):.3f}" if values else "  -  "

        p50 = statistics.median(self.ms) if self.ms else 0.0
        p95 = _percentile(self.ms, 95)
        return (
            f"{label:<34} {len(self.top1):>4} {mean(self.top1):>6} {mean(self.recall3):>6} "
            f"{mean(self.recall5):>6} {mean(self.hit5):>6} {mean(self.rr):>6} "
            f"{p50:>7.1f} {p95:>7.1f}"
        )


def _percentile(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def rss_kib() -> int:
    """This process's resident memory (Linux /proc), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def warm_up(catalogues: dict[str, rank.Catalogue], semantic: bool) -> None:
    """Build the indexes (and load the model, timing it) before anything is timed."""
    if semantic:
        before = rss_kib()
        start = time.perf_counter()
        rank.model()
        loaded = time.perf_counter() - start
        for c in catalogues.values():  # the units' embeddings, once per standard
            rank.rank(c, "warm up", ranker="semantic")
        print(
            f"model: all-MiniLM-L6-v2 loaded in {loaded:.2f} s (torch import included); "
            f"RSS +{(rss_kib() - before) / 1024:.0f} MiB with both standards' units embedded"
        )
    for c in catalogues.values():
        rank.rank(c, "warm up", ranker="lexical")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranker", choices=rank.RANKERS, action="append")
    parser.add_argument("--split", choices=("dev", "held-out", "all"), default="all")
    args = parser.parse_args()

    semantic = rank.semantic_installed()
    rankers = args.ranker or (list(rank.RANKERS) if semantic else ["lexical"])
    if not semantic and any(r != "lexical" for r in rankers):
        print("The semantic extra is not installed: pip install -e '.[semantic]'")
        return 2
    items = load_items()
    if args.split != "all":
        items = [i for i in items if i.split == args.split]
    catalogues = {standard: catalogue(standard) for standard in STANDARD_FILES}
    held = sum(1 for i in items if i.split == "held-out")
    print(f"{len(items)} items ({held} held out), {', '.join(rankers)}")
    print("units: " + ", ".join(f"{k} {len(c.units)}" for k, c in catalogues.items()))

    warm_up(catalogues, semantic and any(r != "lexical" for r in rankers))
    print()
    header = (
        f"{'standard / ranker / split':<34} {'n':>4} {'top1':>6} {'R@3':>6} {'R@5':>6} "
        f"{'hit@5':>6} {'MRR':>6} {'p50 ms':>7} {'p95 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for ranker in rankers:
        totals = {"dev": Scores.empty(), "held-out": Scores.empty(), "all": Scores.empty()}
        for standard, cat in catalogues.items():
            by_split = {"dev": Scores.empty(), "held-out": Scores.empty()}
            for item in (i for i in items if i.standard == standard):
                start = time.perf_counter()
                rank.clear_result_cache()
                found = rank.rank(cat, item.text, ranker=ranker, limit=len(cat.units))
                ms = (time.perf_counter() - start) * 1000
                refs = [s.ref for s in found]
                by_split[item.split].add(item, refs, ms)
                totals[item.split].add(item, refs, ms)
                totals["all"].add(item, refs, ms)
            for split, scores in by_split.items():
                if scores.top1:
                    print(scores.row(f"{standard} / {ranker} / {split}"))
        for split, scores in totals.items():
            if scores.top1:
                print(scores.row(f"both / {ranker} / {split}"))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
