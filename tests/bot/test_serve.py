"""`convene serve` as a real process: it migrates, listens, answers /healthz, and stops cleanly on SIGTERM."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_checks_and_stops_on_sigterm(db_url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVENE_", "SLACK_", "DATABASE_URL"))}
    env.update(DATABASE_URL=db_url, PORT=str(port), HOST="127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=Path(__file__).parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    assert answer.status == 200
                    body = json.loads(answer.read())
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.2)
        assert body == {"status": "ok"}
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert "Convene is stopping" in output
    frozen = re.search(r"\((\d+) start-up objects kept out of garbage collection\)", output)
    assert frozen is not None and int(frozen.group(1)) > 10_000, output


def test_serve_with_a_missing_slack_secret_stops_with_its_name(db_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVENE_", "SLACK_", "DATABASE_URL"))}
    env.update(DATABASE_URL=db_url, PORT=str(free_port()), HOST="127.0.0.1", SLACK_BOT_TOKEN="xoxb-1")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET" in done.stderr and "Traceback" not in done.stderr
