"""Peak memory of one upload: the safe decode and the whole photo check, each input in a fresh process.

    .venv/bin/python bench/upload_memory.py

The inputs are written to files first (by this process); each measurement then starts a process
that loads Django and the face models, reads one file, resets the kernel's peak-memory mark
(/proc/self/clear_refs, Linux) and prints how far the peak resident set size (VmHWM) rose above
the size before handling it: what one upload can add to a worker or a web process.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
import django
django.setup()
from portal.images import decode_image
from reviews.photo_checks import check_photo, warm_up
warm_up()
path, step = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])  # KiB
open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to the current size (Linux)
before = status("VmRSS")
if step == "decode":
    decode_image(data)
else:
    check_photo(data)
peak = status("VmHWM")
print(json.dumps({{"bytes": len(data), "added_mib": round((peak - before) / 1024, 1)}}))
"""

KINDS = ["JPEG 600x800 (a usual photo)", "JPEG 7000x5700 (40 Mpx)", "1-bit PNG 6000x6000", "grey PNG 6000x6000"]


def make_input(kind: str, path: Path) -> None:
    from PIL import Image

    if kind == "1-bit PNG 6000x6000":
        Image.new("1", (6000, 6000)).save(path, "PNG", optimize=True)
    elif kind == "grey PNG 6000x6000":
        Image.linear_gradient("L").resize((6000, 6000)).save(path, "PNG")
    elif kind == "JPEG 7000x5700 (40 Mpx)":
        Image.linear_gradient("L").resize((7000, 5700)).convert("RGB").save(path, "JPEG", quality=80)
    else:
        sys.path.insert(0, str(ROOT))
        from tests import photoset

        path.write_bytes(photoset.good(1).data)


def measure(path: Path, step: str) -> dict:
    code = CHILD.format(root=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), step], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    import os
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    folder = Path(tempfile.mkdtemp())
    print(f"{'input':<30} {'file':>10} {'safe decode':>14} {'whole check':>14}")
    for index, kind in enumerate(KINDS):
        path = folder / f"input-{index}"
        make_input(kind, path)
        decode, check = measure(path, "decode"), measure(path, "check")
        print(f"{kind:<30} {decode['bytes'] // 1024:>7} KiB {decode['added_mib']:>10} MiB {check['added_mib']:>10} MiB")


if __name__ == "__main__":
    main()
