"""Reading a JSON file the user named (every problem is a ConfigError naming the file), and
writing one only its owner can read, whole or not at all."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from troubleshooter.errors import ConfigError
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
    """Writes `data` to `path` readable by its owner only (0600), never half-written: through a
    hidden `.partial` file beside it, then renamed over it. OSError goes to the caller."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.chmod(partial, stat.S_IRUSR | stat.S_IWUSR)  # O_CREAT keeps an older file's mode
    partial.replace(path)
