"""The direction of imports (bot → scheduler → handlers → storage, and no platform library in the core) is an
import-linter contract; here it is run on the tree, and on a copy with a violation that it must catch."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def copy_tree(target: Path) -> Path:
    for name in ("bot", "handlers", "storage", "scheduler"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_the_tree_keeps_its_contracts() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_platform_import_in_the_core_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    (tree / "handlers" / "leak.py").write_text("import slack_sdk\n")
    done = lint(tree)
    assert done.returncode != 0
    assert "The core imports no platform library" in done.stdout and "BROKEN" in done.stdout


def test_storage_importing_handlers_breaks_the_layers(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    (tree / "storage" / "leak.py").write_text("import handlers.command.dispatch\n")
    done = lint(tree)
    assert done.returncode != 0
    assert "Dependencies point one way" in done.stdout and "BROKEN" in done.stdout
