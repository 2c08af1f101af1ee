from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import scenario

from troubleshooter.errors import ScenarioError
from troubleshooter.sandbox.scenario import load_scenario, scenario_from_text, scenario_json_schema


def test_offsets_are_relative_to_the_clock() -> None:
    s = scenario(
        """
        xero:
          accounts: [{code: 200, name: Sales, created: -1d2h30m, updated: +20m}]
        approvalmax: {last_sync: {accounts: -3h, contacts: -45m}}
        dext: {last_pull: -11h}
        """
    )
    clock = datetime(2026, 11, 25, 10, tzinfo=UTC)
    account = s.xero.accounts[0]
    assert account.code == "200"  # a YAML number becomes Xero's text code
    assert account.created == clock - timedelta(days=1, hours=2, minutes=30)
    assert account.updated == clock + timedelta(minutes=20)
    assert s.approvalmax.sync_time("accounts", clock) == clock - timedelta(hours=3)
    assert s.approvalmax.sync_time("tax_rates", clock) == clock  # not given: synced at the clock
    assert s.dext_last_pull == clock - timedelta(hours=11)


def test_a_name_that_looks_like_an_offset_stays_a_name() -> None:
    s = scenario("xero: {accounts: [{code: '1', name: '-3h'}]}")
    assert s.xero.accounts[0].name == "-3h"


def test_unknown_keys_name_the_line_and_the_path() -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(
            "clock: 2026-11-25T10:00:00Z\n"
            "organisation: {name: X}\n"
            "xero:\n"
            "  accounts:\n"
            "    - code: '200'\n"
            "      name: Sales\n"
            "      stauts: ACTIVE\n",
            source="bad.yaml",
        )
    message = str(caught.value)
    assert message.startswith("bad.yaml: ")
    assert "line 7: xero.accounts.0.stauts: unknown key" in message


def test_a_time_without_a_zone_is_refused_with_advice() -> None:
    with pytest.raises(ScenarioError, match="no time zone"):
        scenario_from_text("clock: 2026-11-25T10:00:00\norganisation: {name: X}\n")


def test_python_tags_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f'!!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(path)
    assert not marker.exists()


def test_missing_and_unreadable_files_are_errors_not_tracebacks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScenarioError, match="cannot read it"):
        load_scenario(binary)


def test_unknown_sync_type_is_refused() -> None:
    with pytest.raises(ScenarioError, match="unknown data type invoices"):
        scenario("approvalmax: {last_sync: {invoices: -1h}}")


def test_the_demo_loads_and_is_realistic(demo) -> None:  # type: ignore[no-untyped-def]
    assert len(demo.xero.accounts) >= 24
    assert len(demo.xero.tracking_categories) >= 2
    assert any(c.is_supplier for c in demo.xero.contacts)
    assert any(not c.is_supplier for c in demo.xero.contacts)
    assert demo.xero.tax_rates and demo.xero.bank_accounts


def test_the_json_schema_describes_the_format() -> None:
    schema = scenario_json_schema()
    json.dumps(schema)
    assert set(schema["required"]) == {"clock", "organisation"}
    assert {"xero", "approvalmax", "dext", "overrides", "faults"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_codes_with_leading_zeros_keep_them() -> None:
    s = scenario(
        "xero: {accounts: [{code: 0710, name: A}, {code: 091, name: B}, {code: 200, name: C}]}"
    )
    assert [a.code for a in s.xero.accounts] == ["0710", "091", "200"]


def test_a_quoted_clock_is_read_like_an_unquoted_one() -> None:
    s = scenario_from_text(
        'clock: "2026-11-25T10:00:00Z"\norganisation: {name: X}\nxero: {accounts: [{name: A, created: -1h}]}\n'
    )
    assert s.xero.accounts[0].created == datetime(2026, 11, 25, 9, tzinfo=UTC)
    with pytest.raises(ScenarioError, match="is not a time"):
        scenario_from_text('clock: "soon"\norganisation: {name: X}\n')
