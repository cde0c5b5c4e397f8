"""One upload's peak memory is bounded: a tiny file that decodes to a huge image is shrunk as it is read."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, sys
sys.path.insert(0, sys.argv[2])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
import django
django.setup()
from portal.images import decode_image
data = open(sys.argv[1], "rb").read()

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS")
image = decode_image(data)
print(json.dumps({"added_kib": status("VmHWM") - before, "size": list(image.image.size)}))
"""


def test_a_six_thousand_pixel_one_bit_png_costs_little_memory(tmp_path):
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("1", (6000, 6000)).save(bomb, "PNG", optimize=True)
    assert bomb.stat().st_size < 20_000  # a few KiB on the wire
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(bomb), str(ROOT)], capture_output=True, text=True, timeout=120, check=True
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert max(measured["size"]) <= 2400  # what is analysed and stored is shrunk
    assert measured["added_kib"] < 80 * 1024, measured  # it took ~170 MiB before the image was shrunk on read
