"""Where the bundled data lives: `rules/`, `knowledge/` and `docs/` at the top of a source
checkout, or inside the package (`troubleshooter/_data/`) once installed from a wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # the troubleshooter package


def data_dir(name: str) -> Path:
    """The bundled `rules`, `knowledge` or `docs` folder."""
    installed = PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the bundled {name}/ folder is missing from this installation")


def demo_scenario() -> Path:
    return PACKAGE / "sandbox" / "scenarios" / "demo.yaml"


def adapter_contract() -> Path:
    return PACKAGE / "sources" / "stage_adapter.openapi.yaml"
