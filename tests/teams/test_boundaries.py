"""The Microsoft 365 Agents SDK stays inside bot/teams/: no other module imports it, and Convene without Teams
configured does not load it at all."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sdk_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(n == "microsoft_agents" or n.startswith("microsoft_agents.") for n in names):
            found.append(node.lineno)
    return found


def test_only_bot_teams_imports_the_agents_sdk() -> None:
    outside = []
    for package in ("bot", "handlers", "scheduler", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            if path.is_relative_to(ROOT / "bot" / "teams"):
                continue
            outside += [f"{path.relative_to(ROOT)}:{line}" for line in sdk_imports(path)]
    assert outside == []
    assert sdk_imports(ROOT / "bot" / "teams" / "app.py")  # (the scan does see them where they are)


def test_convene_without_teams_does_not_load_the_sdk() -> None:
    code = (
        "import sys, bot.app, bot.web, bot.cli\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('microsoft_agents'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
