"""The folder path is the data path: a module imports only its own stage, the message types
and pure rules of ``domain``, and the shared modules; an earlier stage's code only where a
stage is its client by design (web calls storage's queries), so the gate gets frames, not
capture's machinery; nothing at run time imports ``alprd.ops``; only the composition root
imports ``web/``. Checked on the source (every import statement, also inside functions)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "alprd"
# Stages in data-path order; ``domain`` is the pure rules and message types all of them share.
STAGES = ("domain", "capture", "vision", "gate", "storage", "web")
SHARED = {
    "bus",
    "config",
    "config_actions",
    "config_camera",
    "config_ocr",
    "config_storage",
    "config_yaml",
    "errors",
    "latest",
    "log",
    "meters",
    "redact",
    "sdnotify",
}
# Earlier stages (beyond domain) a stage may call: web serves what storage queries.
CLIENT_OF = {"web": {"storage"}}
ROOTS = {"daemon", "cli", "__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_alprd_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "alprd"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "alprd":
            found.add(str(node.module))
            # ``from alprd.web import keys`` names modules too
            found |= {f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}")}
    return found


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def part(module: str) -> str:
    """The first component under ``alprd`` ('vision', 'config', ...); '' for the package."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ""


def violations(module: str, imports: set[str]) -> list[str]:
    own = part(module)
    bad = []
    for imp in sorted(imports):
        target = part(imp)
        if target in ("", *SHARED) or target == own:
            continue
        if own == "ops":
            ok = target not in ("web", *ROOTS)
        elif own in ROOTS:
            ok = target != "ops" or module == "alprd.cli"  # the CLI dispatches to ops lazily
        elif own in SHARED:
            ok = target == "domain"
        elif own in STAGES:
            ok = target == "domain" or target in CLIENT_OF.get(own, set())
        else:
            ok = False  # a new top-level module: place it in a stage or SHARED first
        if not ok:
            bad.append(f"{module} imports {imp}")
    return bad


def all_modules() -> dict[str, set[str]]:
    return {module_name(p): imported_alprd_modules(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_imports_only_earlier_stages_and_shared_modules():
    found = [v for module, imports in all_modules().items() for v in violations(module, imports)]
    assert found == []


def test_the_rule_catches_a_backwards_import():
    assert violations("alprd.vision.pipeline", {"alprd.gate.tracker"}) == [
        "alprd.vision.pipeline imports alprd.gate.tracker"
    ]
    assert violations("alprd.gate.events", {"alprd.ops.model_fetch"}) != []
    assert violations("alprd.storage.writer", {"alprd.web.keys"}) != []
    assert violations("alprd.config", {"alprd.storage.db"}) != []
    assert violations("alprd.daemon", {"alprd.ops.evaluate"}) != []
    assert violations("alprd.web.app", {"alprd.storage.repository", "alprd.domain.packs", "alprd.config"}) == []
    assert violations("alprd.gate.lines", {"alprd.capture.reader"}) != []  # frames, not the reader
    assert violations("alprd.gate.camera_worker", {"alprd.latest", "alprd.meters", "alprd.domain.messages"}) == []
    assert violations("alprd.vision.pipeline", {"alprd.capture.sources"}) != []
    assert violations("alprd.storage.writer", {"alprd.gate.events"}) != []


@pytest.mark.parametrize("argv", [["run", "--help"], ["check-config", "--help"]])
def test_the_daemon_commands_never_load_ops(argv):
    code = (
        "import sys\n"
        "from alprd import cli, daemon\n"
        f"try:\n    cli.main({argv!r})\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('alprd.ops'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
