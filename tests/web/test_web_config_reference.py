"""README's configuration reference is generated from the config models and stays complete."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("config_reference", REPO / "tools" / "config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_has_a_row_per_field_with_type_default_bounds():
    text = _tool().reference()
    assert "| `server.port` | integer | `8000` | ≥ 1, ≤ 65535 | TCP port of the REST API. |" in text
    assert "| `storage.busy_timeout_ms` | integer | `5000` |" in text
    assert "| `source` | string | required | length ≥ 1 |" in text


def test_readme_lists_every_config_field():
    """Fails when a config field is added without `python tools/config_reference.py --write`."""
    tool = _tool()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(tool.START, 1)[1].split(tool.END, 1)[0]
    expected = [row.split("|")[1].strip() for row in tool.reference().splitlines() if row.startswith("| `")]
    missing = [name for name in expected if f"| {name} |" not in section]
    assert not missing, f"README config reference lacks {missing}: run python tools/config_reference.py --write"


def test_readme_reference_is_exactly_the_generated_one():
    """A changed default, bound or description makes the README stale too."""
    assert _tool().main(["--check"]) == 0, "run python tools/config_reference.py --write"
