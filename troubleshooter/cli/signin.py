"""`connect`, `disconnect` and `config`: signing in to the real systems, and the settings."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import Any

import click
import yaml

from troubleshooter.cli.output import say
from troubleshooter.infra import aio
from troubleshooter.infra.safetext import visible
from troubleshooter.signin.live import disconnect as forget
from troubleshooter.signin.live import sign_in_approvalmax, sign_in_xero
from troubleshooter.signin.live import status as connection_status
from troubleshooter.signin.settings import ENVIRONMENT, config_path, load_settings, masked
from troubleshooter.signin.tokens import default_store


@click.group(invoke_without_command=True)
@click.option("--status", is_flag=True, help="Say what is connected and until when.")
@click.pass_context
def connect(ctx: click.Context, status: bool) -> None:
    """Sign in to Xero and ApprovalMax (`connect xero`, `connect approvalmax`)."""
    if ctx.invoked_subcommand is not None:
        return
    if not status:
        click.echo(ctx.get_help())
        return
    for line in connection_status(load_settings(), default_store(warn=say)):
        click.echo(visible(f"{'✓' if line.connected else '–'} {line.name:<20} {line.detail}"))


def _open_browser(show_only: bool) -> Callable[[str], None]:
    def open_url(url: str) -> None:
        say("Sign in in your browser; if it does not open, visit:")
        say(f"  {url}")
        if not show_only:
            webbrowser.open(url)

    return open_url


def _signed_in(system: str, where: str) -> None:
    click.echo(visible(f"Signed in to {system}: {where}"))


@connect.command("xero")
@click.option("--no-browser", is_flag=True, help="Only print the address to open.")
@click.option("--tenant", help="The organisation to use when the sign-in reaches several.")
def connect_xero(no_browser: bool, tenant: str | None) -> None:
    """Sign in to Xero (OAuth2 with PKCE) and choose the organisation."""
    settings = load_settings()
    if tenant:
        settings.xero.tenant_id = tenant

    def choose(organisations: list[Any]) -> Any:
        say("The sign-in reaches several organisations:")
        for number, org in enumerate(organisations, start=1):
            say(f"  {number}. {org.tenant_name} ({org.tenant_id})")
        picked = click.prompt("Which one", type=click.IntRange(1, len(organisations)), err=True)
        return organisations[picked - 1]

    store = default_store(warn=say)
    tokens = aio.run(sign_in_xero(settings, store, _open_browser(no_browser), choose))
    _signed_in("Xero", f"{tokens.organisation} (kept in the {store.kind} store)")


def _choose_company(companies: list[Any]) -> Any:
    say("Which ApprovalMax organisation is this one?")
    for number, company in enumerate(companies, start=1):
        say(f"  {number}. {company.name}")
    picked = click.prompt("Number", type=click.IntRange(1, len(companies)), err=True)
    return companies[picked - 1]


@connect.command("approvalmax")
@click.option("--no-browser", is_flag=True, help="Only print the address to open.")
def connect_approvalmax(no_browser: bool) -> None:
    """Sign in to ApprovalMax's public API and find the organisation."""
    settings, store = load_settings(), default_store(warn=say)
    xero = store.load("xero")
    organisation = xero.organisation if xero else None
    tokens = aio.run(
        sign_in_approvalmax(
            settings,
            store,
            _open_browser(no_browser),
            lambda prompt: click.prompt(prompt, err=True),
            organisation=organisation,
            choose=_choose_company,
        )
    )
    where = tokens.organisation or "no organisation matched; set approvalmax.company_id"
    _signed_in("ApprovalMax", where)


@click.command()
@click.argument("system", type=click.Choice(["xero", "approvalmax"]))
def disconnect(system: str) -> None:
    """Forget a sign-in: revoke it with the sign-in service where it offers that (Xero does),
    then delete the tokens from the store."""
    result = aio.run(forget(system, load_settings(), default_store(warn=say)))
    click.echo(visible(result.message))


@click.group()
def config() -> None:
    """The settings file."""


@config.command("show")
def config_show() -> None:
    """Print the settings in force (file and environment), secrets masked."""
    path = config_path()
    click.echo(visible(f"# {path}{'' if path.exists() else ' (not there yet: defaults)'}"))
    click.echo(visible_yaml(yaml.safe_dump(masked(load_settings()), sort_keys=False).rstrip()))
    click.echo("# environment variables that override it: " + ", ".join(ENVIRONMENT))


def visible_yaml(text: str) -> str:
    """YAML dumped by PyYAML quotes control characters already; bidi marks it leaves."""
    return "\n".join(visible(line) for line in text.splitlines())


@config.command("path")
def config_path_command() -> None:
    """Print where the settings file is read from."""
    click.echo(visible(str(config_path())))
