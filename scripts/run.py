"""`make run`: web server, a real Celery worker and Celery beat, until Ctrl-C stops all three."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    os.chdir(ROOT)
    # Web and worker processes write their metrics here; the web's /metrics adds them up (portal.metrics).
    metrics_dir = ROOT / "var" / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    commands = {
        "web": [PY, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        "worker": [PY, "-m", "celery", "-A", "portal", "worker", "-l", "INFO", "--concurrency", "2", "-n", "worker@%h"],
        # One beat only: two would run every schedule twice.
        "beat": [PY, "-m", "celery", "-A", "portal", "beat", "-l", "INFO"],
    }
    processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    time.sleep(2)
    url = f"http://{host}:{port}"
    print(f"\n  E-licence portal: {url}   (admin: {url}/admin/, API docs: {url}/api/docs/)", flush=True)
    accounts_file = ROOT / "var" / "demo-accounts.json"
    if accounts_file.exists():
        print("  Demo log-ins (username / password):")
        for account in json.loads(accounts_file.read_text())["accounts"]:
            print(f"    {account['role']:<15} {account['username']:<12} {account['password']}")
    print("  SMS codes appear in this terminal (SMS_BACKEND=console). Ctrl-C stops everything.\n", flush=True)

    def stop(*_args):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.time() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(deadline - time.time(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping the others.", file=sys.stderr)
                    stop()
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
