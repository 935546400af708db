"""The direction of imports (bot → scheduler → handlers → storage, no platform library in the core, the command
machinery beneath the capabilities and each capability apart from the others) is a set of import-linter
contracts; here they are run on the tree, and on copies with a violation that they must catch."""

import ast
import os
import shutil
import subprocess
import sys
import tomllib
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


def test_machinery_importing_a_capability_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    (tree / "handlers" / "command" / "leak.py").write_text("from handlers.groups import seats_left\n")
    done = lint(tree)
    assert done.returncode != 0
    assert "Capabilities stand on the command machinery" in done.stdout and "BROKEN" in done.stdout
    assert "handlers.command.leak -> handlers.groups" in done.stdout


def test_a_capability_reaching_into_another_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    with (tree / "handlers" / "home.py").open("a") as home:
        home.write("\nfrom handlers.networking.pairing import checkin_counts  # noqa\n")
    done = lint(tree)
    assert done.returncode != 0
    assert "Capabilities stand on the command machinery" in done.stdout and "BROKEN" in done.stdout
    assert "handlers.home -> handlers.networking.pairing" in done.stdout


def capability_api() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    api: dict[str, list[str]] = config["tool"]["convene"]["capability-api"]
    return api


def capability_of(module: str) -> str | None:
    """`handlers.networking.pairing` -> `handlers.networking`; None for the machinery and the package itself."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "handlers" or parts[1] == "command":
        return None
    return ".".join(parts[:2])


def cross_capability_imports(root: Path) -> dict[str, set[str]]:
    """Every `from handlers.<x> import names` in a capability of another capability: edge -> names."""
    found: dict[str, set[str]] = {}
    for path in sorted((root / "handlers").rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        importer = capability_of(module)
        if importer is None or module == "handlers":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported = capability_of(node.module)
                if imported is not None and imported != importer:
                    found.setdefault(f"{importer} -> {node.module}", set()).update(a.name for a in node.names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imported = capability_of(alias.name)
                    assert imported is None or imported == importer, f"{module} imports {alias.name} whole"
    return found


def test_capabilities_reach_each_other_only_through_the_names_the_contract_lists() -> None:
    api = capability_api()
    for edge, names in cross_capability_imports(ROOT).items():
        assert edge in api, f"{edge} is not in [tool.convene.capability-api]"
        assert names <= set(api[edge]), f"{edge} takes {sorted(names - set(api[edge]))}, which the list does not name"
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layered = next(c for c in contracts if c.get("containers") == ["handlers"])
    assert sorted(layered["ignore_imports"]) == sorted(api)


def test_a_name_the_list_does_not_give_is_caught(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    with (tree / "handlers" / "home.py").open("a") as home:
        home.write("\nfrom handlers.groups import DEFAULT_TASK_SEATS  # noqa\n")
    found = cross_capability_imports(tree)
    assert "DEFAULT_TASK_SEATS" in found["handlers.home -> handlers.groups"]
    assert not found["handlers.home -> handlers.groups"] <= set(capability_api()["handlers.home -> handlers.groups"])
