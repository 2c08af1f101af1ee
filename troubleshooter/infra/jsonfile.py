"""Reading a JSON file the user named (every problem is a ConfigError naming the file), and
writing one only its owner can read, whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import write_file
from troubleshooter.infra.yamlfile import first_problem


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, path: Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_problem(exc)}") from None


def write_private_json(path: Path, data: Any) -> None:
    """Writes `data` to `path` readable by its owner only (0600), in a folder only the owner can
    enter, never half-written and never through a planted link (infra/files.py)."""
    write_file(path, json.dumps(data), private=True, follow_links=False)
