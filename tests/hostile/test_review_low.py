"""The attack review's low findings after issue 15: lengths of time too long for a timedelta,
output names the system cannot look at, a token file with a time without its zone (item 8);
credentials in the addresses shown (item 10); a bundle's lists that break the adapter contract
(item 12); `-o` widening a file's permissions, and bundles readable by others (item 9); C1 and bidi characters written raw into JSON and into the
practice's HTML (item 11)."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FAST

from troubleshooter.cli import main
from troubleshooter.errors import ConfigError
from troubleshooter.infra.durations import DurationError, parse_duration
from troubleshooter.infra.redact import redact_text
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.infra.safetext import json_visible, json_visible_bytes
from troubleshooter.infra.urls import shown_url
from troubleshooter.report import load_diagnosis
from troubleshooter.runs.bundle import bundle_json, collect, load_bundle
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import load_scenario
from troubleshooter.signin.tokens import FileStore

HUGE_SECONDS = "99999999999999999999999s"


@pytest.mark.parametrize(
    "text",
    [HUGE_SECONDS, "-" + HUGE_SECONDS, "99999999999999999999999", "9" * 5000 + "d", "9" * 5000],
    ids=["seconds", "negative", "plain", "5000-digit-days", "5000-digit-plain"],
)
def test_a_length_of_seconds_beyond_a_century_is_refused_not_an_overflow(text: str) -> None:
    with pytest.raises(DurationError, match="more than a century"):
        parse_duration(text, signed=True)


@pytest.mark.parametrize(
    "args",
    [
        ["diagnose", "--demo", "--watch", "--interval", HUGE_SECONDS],
        ["diagnose", "--demo", "--answer", f"dext.last_pull=-{HUGE_SECONDS}"],
        ["diagnose", "--demo", "--watch", "--interval", "9" * 5000 + "d"],
    ],
)
def test_the_command_line_says_a_length_is_too_long(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "more than a century" in result.output
    assert not isinstance(result.exception, OverflowError)


def test_a_scenario_sync_time_too_far_back_is_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "far.yaml"
    path.write_text(
        "clock: 2026-11-25T10:00:00Z\norganisation: {name: X}\n"
        f"approvalmax:\n  last_sync: {{accounts: -{HUGE_SECONDS}}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["sandbox", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert "far.yaml: line 4" in result.output


def test_an_output_name_too_long_for_the_system_is_a_usage_error(tmp_path: Path) -> None:
    name = tmp_path / ("a" * 300)
    result = CliRunner().invoke(main, ["collect", "--demo", "-o", str(name)])
    assert result.exit_code == 2, result.output
    assert "File name too long" in result.output
    assert not isinstance(result.exception, OSError)


def test_an_output_name_the_user_may_not_look_at_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's symlink in a sticky folder (fs.protected_symlinks) answers stat() with
    EACCES; root cannot be made to see that, so the stat is played."""
    target = tmp_path / "theirs.json"
    real_stat = Path.stat

    def stat(self: Path, *, follow_symlinks: bool = True):  # type: ignore[no-untyped-def]
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat)
    result = CliRunner().invoke(main, ["collect", "--demo", "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert "Permission denied" in result.output


@pytest.mark.parametrize("command", ["report", "snapshot", "tokens"])
def test_an_integer_too_long_to_read_names_the_file(tmp_path: Path, command: str) -> None:
    """Python refuses to read an integer of more than 4,300 digits (ValueError, a traceback
    before): a broken file, exit 2."""
    text = '{"xero": ' + "9" * 5000 + "}"
    if command == "tokens":
        data = Path(os.environ["TROUBLESHOOTER_DATA"])
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = data / "tokens.json"
        args = ["connect", "--status"]
    else:
        path = tmp_path / "big.json"
        args = (
            ["report", str(path)] if command == "report" else ["diagnose", "--snapshot", str(path)]
        )
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"{path.name}: line 1: a number of 5,000 digits, too long to read" in result.output


NAIVE_TOKENS = {
    "xero": {"access_token": "abc", "refresh_token": "def", "expires_at": "2026-11-29T10:00:00"}
}


def test_a_token_file_time_without_a_zone_is_not_a_sign_in(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(NAIVE_TOKENS), encoding="utf-8")
    path.chmod(0o600)
    store = FileStore(path)
    assert store.load("xero") is None
    assert any("xero sign-in cannot be used (expires_at" in w for w in store.warnings)


def test_connect_status_with_a_time_without_a_zone_says_so(tmp_path: Path) -> None:
    data = Path(os.environ["TROUBLESHOOTER_DATA"])
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    (data / "tokens.json").write_text(json.dumps(NAIVE_TOKENS), encoding="utf-8")
    (data / "tokens.json").chmod(0o600)
    result = CliRunner().invoke(main, ["connect", "--status"])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Xero" in result.output and "not signed in" in result.output
    assert "sign in again (troubleshooter connect xero)" in result.output


# -- credentials in the addresses shown (item 10) --

CREDENTIAL_URL = "http://admin:hunter2pass@host.example/dext?api_key=QUERYSECRET123&page=1"


def _config(text: str) -> None:
    Path(os.environ["TROUBLESHOOTER_CONFIG"]).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("args", [["config", "show"], ["connect", "--status"]])
def test_an_adapter_url_s_credentials_are_not_shown(args: list[str]) -> None:
    _config(f"adapters:\n  dext:\n    url: {CREDENTIAL_URL}\n    token: tok-abcdefgh\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "hunter2pass" not in result.output and "QUERYSECRET123" not in result.output
    assert "http://admin:****@host.example/dext?api_key=****&page=1" in result.output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://TOKEN123@host/x", "https://****@host/x"),
        (
            "https://h/x?access_token=abc&sig=zz#code=123",
            "https://h/x?access_token=****&sig=****#code=****",
        ),
        ("https://h/x?page=2&org=acme", "https://h/x?page=2&org=acme"),
        ("http://[::1:80/x?token=zz", "http://[::1:80/x?token=****"),
    ],
)
def test_what_counts_as_a_credential_in_an_address(url: str, shown: str) -> None:
    assert shown_url(url) == shown


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("xero:\n  client_secret: abcdefghijk\n", "xero.client_secret: unknown key"),
        ("approvalmax:\n  client_secret: [1]\n", "approvalmax.client_secret: Input should be"),
    ],
)
def test_a_settings_error_about_a_secret_s_key_says_what_is_wrong(
    setting: str, message: str
) -> None:
    _config(setting)
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "abcdefghijk" not in result.output


def test_a_secret_after_its_name_is_still_cut_out() -> None:
    text = "client_secret=abcdefgh token: unknownkey1 password=unknown_pw"
    assert redact_text(text) == "client_secret=[redacted] token: [redacted] password=[redacted]"


# -- a bundle's lists keep the adapter contract (item 12) --


@pytest.fixture(scope="module")
def bundle_data() -> dict[str, Any]:
    connections = sandbox_connections(Sandbox(load_scenario(demo_scenario())), settings=FAST)
    data: dict[str, Any] = json.loads(bundle_json(asyncio.run(collect(connections))))
    return data


def _snapshot(data: dict[str, Any], stage: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in data["snapshots"] if s["stage"] == stage)
    return found


def _written(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_bundle_row_sent_twice_is_refused(tmp_path: Path, bundle_data: dict[str, Any]) -> None:
    data = copy.deepcopy(bundle_data)
    accounts = _snapshot(data, "xero")["items"]["account"]
    accounts.append(dict(next(a for a in accounts if a["code"] == "200")))
    path = _written(tmp_path, data)
    with pytest.raises(
        ConfigError, match=r"bundle\.json: snapshots\.0\.items\.account\.\d+: the row"
    ):
        load_bundle(path)
    result = CliRunner().invoke(main, ["diagnose", "--snapshot", str(path), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "bundle.json" in result.output


def test_a_bundle_with_one_xero_id_twice_is_refused(
    tmp_path: Path, bundle_data: dict[str, Any]
) -> None:
    data = copy.deepcopy(bundle_data)
    accounts = _snapshot(data, "dext")["items"]["account"]
    twin = dict(accounts[0], name="Another name", xero_id=accounts[0]["xero_id"].upper())
    accounts.append(twin)
    with pytest.raises(ConfigError, match="two rows carry the Xero id"):
        load_bundle(_written(tmp_path, data))


def test_a_bundle_row_of_another_kind_is_refused(
    tmp_path: Path, bundle_data: dict[str, Any]
) -> None:
    data = copy.deepcopy(bundle_data)
    accounts = _snapshot(data, "dext")["items"]["account"]
    accounts.append(dict(accounts[0], kind="supplier", xero_id="not-an-account"))
    with pytest.raises(ConfigError, match="an item of kind 'supplier' in the list of 'account'"):
        load_bundle(_written(tmp_path, data))


def test_a_bundle_as_collect_writes_it_still_loads(
    tmp_path: Path, bundle_data: dict[str, Any]
) -> None:
    assert load_bundle(_written(tmp_path, bundle_data)).snapshots


# -- -o keeps the permissions of what it replaces; bundles are 0600 (item 9) --


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, whatever the test runner has: a new file would be 0644."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o400], ids=oct)
def test_a_report_written_over_a_file_keeps_its_permissions(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "report.md"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(mode)
    result = CliRunner().invoke(main, ["diagnose", "--demo", "-o", str(target)])
    assert result.exit_code in (0, 1), result.output  # 1: something is missing (the demo)
    assert "replaced" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text(encoding="utf-8") != "old\n"


@pytest.mark.usefixtures("umask_022")
def test_a_new_report_gets_the_umask_s_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    result = CliRunner().invoke(main, ["diagnose", "--demo", "-o", str(target)])
    assert result.exit_code in (0, 1), result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize("before", [None, 0o600, 0o644], ids=str)
def test_a_bundle_is_readable_by_its_owner_only(tmp_path: Path, before: int | None) -> None:
    target = tmp_path / "keep.json"
    if before is not None:
        target.write_text("{}", encoding="utf-8")
        target.chmod(before)
    result = CliRunner().invoke(main, ["collect", "--demo", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert load_bundle(target).snapshots


# -- C1 and bidi characters in JSON; the practice's HTML (item 11) --

HOSTILE_NAME = "Evil\x1b[2J\x07\u202eLtd\x9b\u2066"
RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\u2066")


def _hostile_scenario(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "a.yaml"
    name = json.dumps(HOSTILE_NAME)  # YAML reads JSON's escapes in a double-quoted string
    path.write_text(
        f"clock: 2026-11-25T10:00:00Z\norganisation: {{name: {name}}}\n", encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["diagnose", "--format", "json", "--scenario", "{a}"],
        ["collect", "--scenario", "{a}"],
        ["diagnose", "--all-organisations", "--format", "json", "--scenario", "{folder}"],
        ["diagnose", "--all-organisations", "--format", "html", "--scenario", "{folder}"],
    ],
    ids=["json", "bundle", "practice-json", "practice-html"],
)
def test_no_export_writes_a_control_or_bidi_character_raw(tmp_path: Path, args: list[str]) -> None:
    a = _hostile_scenario(tmp_path / "practice")
    out = tmp_path / "out"
    argv = [arg.format(a=a, folder=a.parent) for arg in args] + ["-o", str(out)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code in (0, 1), result.output
    written = out.read_text(encoding="utf-8")
    assert "Evil" in written
    assert not [c for c in RAW if c in written]
    if "html" in args:
        assert "\\u202eLtd\\x9b" in written  # as visible() shows it, like the one-organisation HTML
    else:
        assert "\\u202eLtd\\u009b" in written  # JSON's own escape


def test_the_escaped_json_reads_back_the_same(tmp_path: Path) -> None:
    a = _hostile_scenario(tmp_path / "one")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["diagnose", "--scenario", str(a), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert json.loads(out.read_text(encoding="utf-8"))["organisation"]["name"] == HOSTILE_NAME
    assert load_diagnosis(out).organisation.name == HOSTILE_NAME


def test_json_visible_text_and_bytes_agree_and_keep_the_json() -> None:
    text = json.dumps({"a": "x\x7f\x85\u061c\u200e\u2028\u202a\u2069 é € 😀"}, ensure_ascii=False)
    escaped = json_visible(text)
    assert json_visible_bytes(text.encode("utf-8")) == escaped.encode("utf-8")
    assert json.loads(escaped) == json.loads(text)
    assert escaped.isascii() is False and "é € 😀" in escaped  # only the unsafe ones
