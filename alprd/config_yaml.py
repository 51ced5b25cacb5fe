"""Reading a YAML config file, and pydantic errors reported at their file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alprd.errors import ConfigError


def _node_at(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node at a pydantic error location, or the deepest one that exists."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            if match is None:  # a union's tag, or a field the file leaves out: stay here
                continue
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return node
    return node


def format_errors(err: ValidationError, path: Path, root: yaml.Node | None, prefix: tuple = ()) -> str:
    lines = []
    for e in err.errors():
        loc = tuple(e["loc"])
        node = _node_at(root, loc[len(prefix) :] if loc[: len(prefix)] == prefix else loc)
        line = f"line {node.start_mark.line + 1}" if node is not None else "line ?"
        field = ".".join(str(p) for p in loc) or "(root)"
        lines.append(f"{path}: {line}: {field}: {e['msg']}")
    return "\n".join(lines)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "line ?"
        raise ConfigError(f"{path}: {where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    return data, node
