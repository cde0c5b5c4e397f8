"""Photo-check speed: ms per 600×800 JPEG in a warm process, next to Pillow's decode of the same file.

    .venv/bin/python bench/photo_checks.py [--processes 3] [--photos 60] [--rounds 5] [--opencv-threads 1]

Prints median and p95 for: Pillow decode alone, the safe decode (portal.images), and the whole
check (decode, faces, landmarks, eyes, exposure, background, metadata). OpenCV runs one thread, as in
a worker (one process per core): every figure is one core's.

The measurement runs in --processes fresh processes, one after the other, each as a worker would: a
process's Pillow decode is fast or slow for its whole life (1.41–2.13 ms for the same photos in six
processes, docs/benchmarks.md), so one process's ratio is one draw of it. Each process's figures are
printed; the last line is the median of the processes' ratios.
"""

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, data: list[bytes]) -> list[float]:
    times = []
    for item in data:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def pillow_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def summary(label: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    return f"{label:<28} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   n={len(times)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=3, help="fresh processes, one after the other")
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--opencv-threads",
        type=int,
        default=1,
        help="OpenCV threads in this process (default 1: a worker runs one process per core)",
    )
    parser.add_argument("--one-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_process:
        print(json.dumps(measure(args)))
        return
    given = [f"--photos={args.photos}", f"--rounds={args.rounds}", f"--opencv-threads={args.opencv_threads}"]
    results = []
    for number in range(1, args.processes + 1):
        out = subprocess.run(
            [sys.executable, __file__, "--one-process", *given], check=True, capture_output=True, text=True
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        if number == 1:
            print(
                f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}, "
                f"OpenCV threads: {result['opencv_threads']}; {args.photos} photos, 600×800 JPEG, mean "
                f"{result['mean_kib']:.0f} KiB; {args.processes} processes × {args.rounds} rounds"
            )
        print(f"process {number}: model load + first check {result['warm_ms']:.0f} ms")
        print("  " + summary("Pillow decode", result["decode"]))
        print("  " + summary("safe decode + re-encode", result["safe"]))
        print("  " + summary("check_photo (all rules)", result["check"]))
        print(f"  check / Pillow decode, per round: {', '.join(f'{r:.1f}×' for r in result['ratios'])}")
        print(f"  check / Pillow decode (medians): {ratio(result):.1f}×")
    checks = [t for result in results for t in result["check"]]
    print(summary("check_photo, all processes", checks))
    print(f"photo checks per second per core: {1000 / statistics.mean(checks):.0f}")
    print(f"check / Pillow decode, per process: {', '.join(f'{ratio(r):.1f}×' for r in results)}")
    print(f"check / Pillow decode (median of {len(results)} processes): {statistics.median(map(ratio, results)):.1f}×")


def ratio(result: dict) -> float:
    return statistics.median(result["check"]) / statistics.median(result["decode"])


def measure(args) -> dict:
    """One process's figures (times in ms), measured as the whole bench did before it ran in several.
    Django, the checker and its models load here, in the measuring process only."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import cv2
    import django

    django.setup()
    from portal.images import decode_image
    from reviews.photo_checks import check_photo, warm_up
    from tests import photoset

    # Before any OpenCV call: with its default (one thread per core) part of a check ran on the second
    # core, and the figures below were of more than one core's work.
    cv2.setNumThreads(args.opencv_threads)
    photos = []
    for seed in range(args.photos):
        shot = photoset.Shot.random(seed)
        shot.width, shot.height = 600, 800
        image, _ = photoset.render(shot)
        photos.append(photoset.encode(image, quality=shot.quality))
    started = time.perf_counter()
    warm_up()
    warm_ms = (time.perf_counter() - started) * 1000
    # Rounds of each step over all photos, one after the other: each round's ratio compares times
    # taken within the same few seconds (this machine's speed wanders between minutes).
    decode, safe, check, ratios = [], [], [], []
    for _ in range(args.rounds):
        round_decode = timed(pillow_decode, photos)
        safe += timed(decode_image, photos)
        round_check = timed(check_photo, photos)
        decode += round_decode
        check += round_check
        ratios.append(statistics.median(round_check) / statistics.median(round_decode))
    return {
        "opencv_threads": cv2.getNumThreads(),
        "mean_kib": statistics.mean(map(len, photos)) / 1024,
        "warm_ms": warm_ms,
        "decode": decode,
        "safe": safe,
        "check": check,
        "ratios": ratios,
    }


if __name__ == "__main__":
    main()
