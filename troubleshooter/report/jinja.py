"""The templates' environment: Markdown and HTML from `templates/`, HTML autoescaped, every
undefined name an error, and the filters that keep data inert."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from troubleshooter.report.markdown import code, md, safe_url


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("troubleshooter.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters |= {"md": md, "url": safe_url, "code": code}
    return env
