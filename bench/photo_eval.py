"""Evaluate the photo checker on the generated, labelled set (tests/photoset.py).

    .venv/bin/python bench/photo_eval.py [--goods 80] [--per-code 24] [--real-goods 24]

Prints, for the tuning half (even seeds) and the held-out half (odd seeds), each code's
precision and recall and the share of good photos flagged, as Markdown tables. Thresholds in
reviews/photo_checks.py were tuned on the tuning half only; the held-out half is the report.
"""

import argparse
import collections
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from reviews.photo_checks import CODES, check_photo  # noqa: E402
from tests import photoset  # noqa: E402


def evaluate(split: str, goods: int, per_code: int, real_goods: int = 24) -> str:
    keep = {"tune": 0, "held_out": 1}[split]
    samples = list(photoset.dataset(goods=goods, real_goods=real_goods, per_code=per_code, split=split))
    extra = {
        label: [make(s) for s in range(per_code) if s % 2 == keep] for label, make in photoset.EXTRA_GENERATORS.items()
    }
    started = time.perf_counter()
    results = [(sample, set(check_photo(sample.data, now=photoset.NOW).codes)) for sample in samples]
    elapsed = time.perf_counter() - started
    tp, fn, fp = collections.Counter(), collections.Counter(), collections.Counter()
    misses = []
    for sample, codes in results:
        for code in sample.expected:
            if code in codes:
                tp[code] += 1
            else:
                fn[code] += 1
                misses.append(f"{sample.name} → {sorted(codes) or 'clean'}")
        for code in codes - sample.expected - sample.allowed:
            fp[code] += 1
            misses.append(f"{sample.name}: unexpected {code}")
    good = [codes for sample, codes in results if not sample.expected]
    flagged = sum(1 for codes in good if codes)
    real = [codes for sample, codes in results if sample.name.startswith("good_real")]
    real_flagged = sum(1 for codes in real if codes)
    lines = [
        f"**{split}** — {len(results)} photos ({len(good)} good), {elapsed / len(results) * 1000:.0f} ms each",
        "",
        "| code | recall | precision | n |",
        "|---|---|---|---|",
    ]
    for code in CODES:
        n = tp[code] + fn[code]
        recall = tp[code] / n if n else float("nan")
        precision = tp[code] / (tp[code] + fp[code]) if tp[code] + fp[code] else float("nan")
        lines.append(f"| `{code}` | {recall:.0%} ({tp[code]}/{n}) | {precision:.0%} | {n} |")
    for label, extra_samples in extra.items():
        hit = sum(1 for s in extra_samples if "edited" in check_photo(s.data, now=photoset.NOW).codes)
        lines.append(
            f"| `edited`: {label} | {hit / len(extra_samples):.0%} ({hit}/{len(extra_samples)}) | — | "
            f"{len(extra_samples)} |"
        )
    lines += [
        "",
        f"Good photos flagged: **{flagged / len(good):.1%}** ({flagged}/{len(good)}), of which real people on "
        f"white: {real_flagged}/{len(real)}",
        "",
    ]
    if misses:
        lines += ["Misses and unexpected flags:", ""] + [f"- {m}" for m in misses] + [""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--goods", type=int, default=80)
    parser.add_argument("--per-code", type=int, default=24)
    parser.add_argument("--real-goods", type=int, default=24, help="good photos of real people on white")
    args = parser.parse_args()
    for split in ("tune", "held_out"):
        print(evaluate(split, args.goods, args.per_code, args.real_goods))


if __name__ == "__main__":
    main()
