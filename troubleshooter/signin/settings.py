"""Settings: a YAML file under the platform's config folder, with environment overrides.

The file is `config.yaml` in `platformdirs.user_config_path("troubleshooter")`, or wherever
`TROUBLESHOOTER_CONFIG` points. Every setting can also come from an environment variable
(`TROUBLESHOOTER_XERO_CLIENT_ID`, …, listed by `troubleshooter config show`), which wins over
the file. Secrets do not belong here: tokens live in the token store (tokens.py); a client
secret may come from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import read_text
from troubleshooter.infra.urls import shown_url
from troubleshooter.infra.yamlfile import line_of, load_yaml, validation_problem, yaml_error_text

APP = "troubleshooter"
XERO_SCOPES = "offline_access accounting.settings.read accounting.contacts.read"
APPROVALMAX_SCOPES = "https://www.approvalmax.com/scopes/public_api/read offline_access"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class XeroSettings(_Section):
    client_id: str | None = Field(default=None, description="The Xero app's client id (PKCE app).")
    redirect_port: int = Field(
        default=8749, ge=1, le=65535, description="http://localhost:PORT/callback, as registered."
    )
    tenant_id: str | None = Field(default=None, description="The organisation to diagnose.")
    authorize_url: str = "https://login.xero.com/identity/connect/authorize"
    token_url: str = "https://identity.xero.com/connect/token"
    revocation_url: str | None = Field(
        default="https://identity.xero.com/connect/revocation",
        description="Where `disconnect xero` revokes the refresh token.",
    )
    api_url: str = "https://api.xero.com"
    scopes: str = XERO_SCOPES


class ApprovalMaxSettings(_Section):
    client_id: str | None = None
    client_secret: SecretStr | None = Field(
        default=None, description="Better from TROUBLESHOOTER_APPROVALMAX_CLIENT_SECRET."
    )
    redirect_uri: str | None = Field(
        default=None, description="The HTTPS redirect URI registered for the app."
    )
    company_id: str | None = None
    authorize_url: str = "https://identity.approvalmax.com/connect/authorize"
    token_url: str = "https://identity.approvalmax.com/connect/token"
    revocation_url: str | None = Field(
        default=None,
        description="ApprovalMax documents no revocation endpoint; set one if it offers it.",
    )
    api_url: str = "https://public-api.approvalmax.com"
    scopes: str = APPROVALMAX_SCOPES


class AdapterSettings(_Section):
    url: str | None = Field(default=None, description="The stage adapter's base URL.")
    token: SecretStr | None = Field(
        default=None, description="Its bearer token (better from the environment or the store)."
    )


class Adapters(_Section):
    approvalmax: AdapterSettings = Field(default_factory=AdapterSettings)
    dext: AdapterSettings = Field(default_factory=AdapterSettings)


class HttpOptions(_Section):
    timeout: float = Field(default=30.0, gt=0)
    attempts: int = Field(default=4, ge=1, le=10)
    max_retry_after: float = Field(default=60.0, ge=0)
    per_minute: int = Field(default=60, ge=1, description="Xero's per-organisation minute limit.")
    in_flight: int = Field(default=5, ge=1, le=5, description="Xero allows 5 at once.")
    max_body_mb: float = Field(
        default=32, gt=0, description="An answer longer than this (MiB) fails that request."
    )
    max_pages: int = Field(
        default=2000, ge=1, description="A list that claims more pages than this fails."
    )

    def limits(self) -> dict[str, int]:
        """The caps as HttpSettings takes them (max_body_bytes, max_pages)."""
        return {"max_body_bytes": int(self.max_body_mb * 1024 * 1024), "max_pages": self.max_pages}


class Settings(_Section):
    xero: XeroSettings = Field(default_factory=XeroSettings)
    approvalmax: ApprovalMaxSettings = Field(default_factory=ApprovalMaxSettings)
    adapters: Adapters = Field(default_factory=Adapters)
    http: HttpOptions = Field(default_factory=HttpOptions)


# environment variable → (section path, key)
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "TROUBLESHOOTER_XERO_CLIENT_ID": ("xero", "client_id"),
    "TROUBLESHOOTER_XERO_TENANT_ID": ("xero", "tenant_id"),
    "TROUBLESHOOTER_XERO_REDIRECT_PORT": ("xero", "redirect_port"),
    "TROUBLESHOOTER_APPROVALMAX_CLIENT_ID": ("approvalmax", "client_id"),
    "TROUBLESHOOTER_APPROVALMAX_CLIENT_SECRET": ("approvalmax", "client_secret"),
    "TROUBLESHOOTER_APPROVALMAX_REDIRECT_URI": ("approvalmax", "redirect_uri"),
    "TROUBLESHOOTER_APPROVALMAX_ADAPTER_URL": ("adapters", "approvalmax", "url"),
    "TROUBLESHOOTER_APPROVALMAX_ADAPTER_TOKEN": ("adapters", "approvalmax", "token"),
    "TROUBLESHOOTER_DEXT_ADAPTER_URL": ("adapters", "dext", "url"),
    "TROUBLESHOOTER_DEXT_ADAPTER_TOKEN": ("adapters", "dext", "token"),
}


def config_path() -> Path:
    override = os.environ.get("TROUBLESHOOTER_CONFIG")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP) / "config.yaml"


def data_path() -> Path:
    override = os.environ.get("TROUBLESHOOTER_DATA")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    path = path or config_path()
    environ = dict(os.environ) if environ is None else environ
    data: Any = {}
    if path.exists():
        try:
            data = load_yaml(read_text(path)) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: {yaml_error_text(exc)}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the settings file is a mapping (xero:, approvalmax:, …)")
    from_environment: dict[tuple[str, ...], str] = {}
    for variable, keys in ENVIRONMENT.items():
        value = environ.get(variable)
        if value:
            node = data
            for depth, key in enumerate(keys[:-1], start=1):
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    section = ".".join(keys[:depth])
                    line = line_of(data, keys[:depth])
                    raise ConfigError(
                        f"{path}:{line or 1}: {section}: a section of settings (key: value "
                        f"lines), not {node!r}; {variable} cannot go into it"
                    )
            node[keys[-1]] = value
            from_environment[keys] = variable
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():  # a value from the environment: name the variable
            culprit = from_environment.get(tuple(str(part) for part in error["loc"]))
            if culprit is not None:
                raise ConfigError(f"{culprit} (in the environment): {error['msg']}") from None
        line, problem = validation_problem(exc, data, Settings.model_fields)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: {problem}") from None


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as `config show` prints them: secrets masked, and so are the credentials
    an address may carry (`user:password@`, `?api_key=…`); nothing else hidden."""
    result: dict[str, Any] = _mask(settings.model_dump(mode="python"))
    return result


def _mask(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _mask(v) for k, v in node.items()}
    if isinstance(node, SecretStr):
        return "****" if node.get_secret_value() else ""
    if isinstance(node, str) and "://" in node:
        return shown_url(node)
    return node
