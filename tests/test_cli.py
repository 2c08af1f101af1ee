"""The command line: the JSON contract, exit codes, clean stdout, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import Served, invoke

import troubleshooter.runs.watch as watch_module
from troubleshooter.model import Diagnosis

STAGE_MARKS = {"present", "missing", "archived", "hidden", "unknown"}


class FakeTime:
    """The watch's clock and wait: waiting moves the clock on, and takes no time."""

    def __init__(self, on_sleep=None) -> None:  # type: ignore[no-untyped-def]
        self.now = 1000.0
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


def test_a_diagnosis_sets_its_read_aside_from_the_collector() -> None:
    """The command keeps its read to the end: it is set aside from the collector's passes as
    soon as it is made (gcpause.kept_aside), which saved a tenth of a second on a 50,000-contact
    organisation."""
    import gc

    assert gc.get_freeze_count() == 0
    code, out, _ = invoke("diagnose", "--demo", "--format", "json")
    assert code == 1 and json.loads(out)["items"]
    assert gc.get_freeze_count() > 0


def test_demo_json_follows_the_contract() -> None:
    code, out, _ = invoke("diagnose", "--demo", "--format", "json")
    assert code == 1  # the demo has findings
    data = json.loads(out)
    assert {"schema_version", "organisation", "items", "findings", "plan"} <= set(data)
    assert data["schema_version"] == 1
    assert data["organisation"]["name"] == "Harbour Street Coffee Roasters Ltd"
    for item in data["items"]:
        assert {"kind", "key", "code", "name", "stages"} <= set(item)
        assert set(item["stages"]) == {"xero", "approvalmax", "dext"}
        assert set(item["stages"].values()) <= STAGE_MARKS
    for finding in data["findings"]:
        assert {"rule", "action", "kind", "key", "name", "article", "message"} <= set(finding)
    for number, step in enumerate(data["plan"], start=1):
        assert step["order"] == number
        assert {"action", "title", "instructions", "items"} <= set(step)
    jsonschema.validate(data, Diagnosis.model_json_schema(mode="serialization"))


def test_the_demo_tells_its_three_stories() -> None:
    _, out, _ = invoke("diagnose", "--demo", "--format", "json")
    data = json.loads(out)
    items = {i["name"]: i for i in data["items"]}
    assert items["Staff Wellbeing"]["stages"] == {
        "xero": "present",
        "approvalmax": "missing",
        "dext": "missing",
    }
    assert items["Tauranga Pop-up"]["stages"] == {
        "xero": "present",
        "approvalmax": "present",
        "dext": "missing",
    }
    healthy = [i for i in data["items"] if set(i["stages"].values()) == {"present"}]
    assert len(healthy) > 30
    assert [s["action"] for s in data["plan"]] == [
        "add_bank_account_code",
        "sync_approvalmax",
        "reselect_dext_integration",
        "reconnect_dext",
    ]
    renamed = items["Client Entertainment"]
    assert renamed["detail"]["dext"]["name"] == "Entertainment"


def test_text_is_the_default_and_names_the_plan() -> None:
    code, out, _ = invoke("diagnose", "--demo")
    assert code == 1
    assert out.startswith("Harbour Street Coffee Roasters Ltd: 5 items stopped")
    assert out.index("2. Sync to ApprovalMax first") < out.index("4. Reconnect ApprovalMax to Dext")
    assert "Staff Wellbeing" in out and "✗ missing" in out


def test_a_healthy_organisation_exits_0(tmp_scenario) -> None:  # type: ignore[no-untyped-def]
    path = tmp_scenario(
        """
        clock: 2026-11-25T10:00:00Z
        organisation: {name: Calm Co}
        xero: {accounts: [{code: '200', name: Sales}]}
        """
    )
    code, out, _ = invoke("diagnose", "--scenario", str(path))
    assert code == 0, out
    assert "everything in Xero that should reach Dext has reached it" in out


def test_an_unreachable_system_exits_3_and_says_why(tmp_scenario) -> None:  # type: ignore[no-untyped-def]
    path = tmp_scenario(
        """
        clock: 2026-11-25T10:00:00Z
        organisation: {name: Calm Co}
        xero: {accounts: [{code: '200', name: Sales}]}
        faults: [{system: dext_adapter, status: 401}]
        """
    )
    code, out, _ = invoke("diagnose", "--scenario", str(path), "--format", "json")
    assert code == 3
    data = json.loads(out)
    dext = next(s for s in data["systems"] if s["stage"] == "dext")
    assert dext["reached"] is False and "401" in dext["error"]
    [item] = data["items"]
    assert item["stages"]["dext"] == "unknown"  # never reported as missing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clock: [oops\n", "not valid YAML"),
        (
            "clock: 2026-11-25T10:00:00Z\norganisation: {name: X}\nxero: {acounts: []}\n",
            "line 3: xero.acounts: unknown key",
        ),
        ("just a string\n", "a scenario is a mapping"),
    ],
)
def test_a_bad_scenario_exits_2_naming_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = invoke("diagnose", "--scenario", str(path))
    assert code == 2
    assert out == ""
    assert str(path) in err and expected in err
    assert "Traceback" not in err


def test_usage_errors_exit_2() -> None:
    code, _, err = invoke("diagnose")
    assert code == 2 and "--demo" in err
    code, _, err = invoke("diagnose", "--demo", "--scenario", "x.yaml")
    assert code == 2 and "choose one" in err
    code, _, err = invoke("diagnose", "--scenario", "/nonexistent/file.yaml")
    assert code == 2 and "no such file" in err


def test_bad_rules_folder_exits_2(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("rules: [{id: x}]\n", encoding="utf-8")
    code, _, err = invoke("diagnose", "--demo", "--rules", str(tmp_path))
    assert code == 2 and "r.yaml" in err and "rule 'x'" in err


def test_sandbox_schema_and_check(tmp_scenario) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = invoke("sandbox", "schema")
    assert code == 0 and json.loads(out)["title"] == "troubleshooter sandbox scenario"
    path = tmp_scenario("clock: 2026-11-25T10:00:00Z\norganisation: {name: Y}\n")
    code, out, _ = invoke("sandbox", "check", str(path))
    assert code == 0 and "a valid scenario for Y" in out


def test_diagnose_a_served_sandbox_by_url(served_demo: Served) -> None:
    code, out, _ = invoke("diagnose", "--url", served_demo.base_url, "--format", "json")
    assert code == 1
    assert json.loads(out)["summary"]["with_findings"] == 5
    methods = {r.method for r in served_demo.sandbox.log.requests}
    assert methods == {"GET"}  # read-only towards every system


def test_stdout_is_only_json_in_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "troubleshooter", "diagnose", "--demo", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    json.loads(proc.stdout)  # nothing but the document
    assert proc.stderr == ""


def test_answers_from_flags_and_files(tmp_path: Path, tmp_scenario) -> None:  # type: ignore[no-untyped-def]
    path = tmp_scenario(
        """
        clock: 2026-11-25T10:00:00Z
        organisation: {name: Blind Co}
        xero: {accounts: [{code: '200', name: Sales}, {code: '429', name: Staff Wellbeing, created: -40m}]}
        approvalmax: {access: none}
        dext: {access: none}
        """
    )
    code, out, _ = invoke("diagnose", "--scenario", str(path), "--format", "json")
    assert code == 3  # nothing found, but too much unseen to say all is well
    assert "approvalmax.list.account" in {q["id"] for q in json.loads(out)["questions"]}
    pasted = tmp_path / "am-accounts.txt"
    pasted.write_text("200 - Sales\n", encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "approvalmax.xero_connection: connected\napprovalmax.last_sync.accounts: -1h\n",
        encoding="utf-8",
    )
    code, out, err = invoke(
        "diagnose",
        "--scenario",
        str(path),
        "--format",
        "json",
        "--answers",
        str(answers),
        "--answer",
        f"approvalmax.list.account=@{pasted}",
    )
    data = json.loads(out)
    assert code == 1, err
    # ApprovalMax lacks it, so Dext cannot have it from there (inferred, assuming the usual
    # integration, which the remaining questions check).
    assert [(f["rule"], f["name"]) for f in data["findings"]] == [
        ("not-in-approvalmax-yet", "Staff Wellbeing"),
        ("not-in-dext-yet", "Staff Wellbeing"),
    ]
    assert {a["fact"] for a in data["assumptions"]} >= {"dext.integration"}
    code, _, err = invoke("diagnose", "--scenario", str(path), "--answer", "dext.linked=perhaps")
    assert code == 2 and "dext.linked: Answer one of: Yes, this organisation" in err
    code, _, err = invoke("diagnose", "--scenario", str(path), "--answer", "no-equals-sign")
    assert code == 2 and "ID=VALUE" in err


def test_item_focus_from_the_command_line() -> None:
    code, out, _ = invoke("diagnose", "--demo", "--item", "Ponsonby", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["focus"] == "Ponsonby"
    assert [i["name"] for i in data["items"]] == ["Ponsonby Bakehouse Ltd"]
    assert data["findings"][0]["rule"] == "contact-not-a-supplier"
    code, _, err = invoke("diagnose", "--demo", "--item", "zzzz")
    assert code == 2 and "no item" in err


def test_watch_checks_again_until_resolved(tmp_scenario, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stuck = """
    clock: 2026-11-25T10:00:00Z
    organisation: {name: Watch Co}
    xero: {accounts: [{code: '429', name: Staff Wellbeing, created: -40m}]}
    approvalmax: {last_sync: -1h}
    dext: {last_pull: -2h}
    """
    path = tmp_scenario(stuck)
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:  # the fix lands after the second check
            path.write_text(stuck.replace("-1h", "+0m").replace("-2h", "+0m"), encoding="utf-8")

    monkeypatch.setattr(watch_module, "time", FakeTime(fake_sleep))
    code, out, err = invoke(
        "diagnose", "--scenario", str(path), "--watch", "--interval", "5s", "--until", "1h"
    )
    assert code == 0, err
    assert sleeps == [5, 5]
    assert (
        "check 1 at" in err and "still to fix" in err and "check 3 at" in err and "resolved" in err
    )
    assert "everything in Xero that should reach Dext has reached it" in out


def test_watch_gives_up_at_the_limit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(watch_module, "time", FakeTime())
    code, _, err = invoke("diagnose", "--demo", "--watch", "--interval", "10s", "--until", "25s")
    assert code == 1
    assert "check 3 at" in err and "stopped watching" in err
    code, _, err = invoke("diagnose", "--demo", "--watch", "--interval", "soon")
    assert code == 2 and "not a length of time" in err


def test_rules_commands() -> None:
    code, out, _ = invoke("rules", "lint")
    assert code == 0 and "no problems" in out
    code, out, _ = invoke("rules", "test")
    assert code == 0, out
    assert out.strip().endswith("0 failed")
    code, out, _ = invoke("rules", "schema")
    schema = json.loads(out)
    assert set(schema["properties"]) == {"rules", "actions", "questions", "inferences"}
    jsonschema.Draft202012Validator.check_schema(schema)


def test_rules_test_reports_a_broken_case(tmp_path: Path) -> None:
    import shutil

    from troubleshooter.infra.resources import data_dir

    rules = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), rules)
    case = rules / "tests" / "not-in-approvalmax-yet.yaml"
    case.write_text(
        case.read_text(encoding="utf-8").replace("item: Staff Wellbeing", "item: Nobody", 1),
        encoding="utf-8",
    )
    code, out, _ = invoke("rules", "test", "--rules", str(rules))
    assert code == 1
    assert "FAIL not-in-approvalmax-yet [fire]" in out and "did not fire for Nobody" in out


def test_knowledge_commands() -> None:
    code, out, _ = invoke("knowledge", "list")
    assert code == 0 and "sync-to-approvalmax-first" in out
    code, out, _ = invoke("knowledge", "search", "supplier", "bill")
    assert code == 0 and out.splitlines()[0].startswith("contact-is-not-a-supplier")
    code, out, _ = invoke("knowledge", "show", "reconnect-approvalmax-to-dext")
    assert code == 0 and out.startswith("# ") and "Sources: http" in out
    code, _, err = invoke("knowledge", "show", "nope")
    assert code == 2 and "knowledge list" in err


def test_output_files_and_formats(tmp_path: Path) -> None:
    md_file = tmp_path / "out" / "report.md"
    code, out, err = invoke("diagnose", "--demo", "--output", str(md_file))
    assert code == 1 and out == ""
    assert f"wrote {md_file.resolve()}" in err
    assert md_file.read_text(encoding="utf-8").startswith("# Harbour Street Coffee Roasters Ltd")
    html_file = tmp_path / "report.html"
    invoke("diagnose", "--demo", "--format", "html", "-o", str(html_file))
    assert html_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, out, _ = invoke("diagnose", "--demo", "--format", "md", "--output", "-")
    assert out.startswith("# Harbour")
    assert not list(tmp_path.rglob(".*.partial"))  # written whole, nothing left behind


def test_report_renders_a_saved_diagnosis_again(tmp_path: Path) -> None:
    saved = tmp_path / "diagnosis.json"
    invoke("diagnose", "--demo", "--format", "json", "--output", str(saved))
    code, out, _ = invoke("report", str(saved), "--format", "md")
    assert code == 0 and out.startswith("# Harbour Street Coffee Roasters Ltd: 5 items")
    code, out, _ = invoke("report", str(saved))  # text by default
    assert code == 0 and "What to do, in this order" in out
    code, out, _ = invoke("report", "schema")
    jsonschema.validate(json.loads(saved.read_text(encoding="utf-8")), json.loads(out))
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "items": "nope"}', encoding="utf-8")
    code, _, err = invoke("report", str(broken))
    assert code == 2 and "broken.json" in err and "Traceback" not in err
    code, _, err = invoke("report", str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


def test_collect_then_replay_the_snapshot(tmp_path: Path) -> None:
    from troubleshooter.runs.bundle import Bundle

    bundle = tmp_path / "bundle.json"
    code, _, err = invoke(
        "collect", "--demo", "--output", str(bundle), "--answer", "dext.linked=yes"
    )
    assert code == 0, err
    data = json.loads(bundle.read_text(encoding="utf-8"))
    jsonschema.validate(data, Bundle.model_json_schema(mode="serialization"))
    assert data["answers"] == {"dext.linked": "yes"}
    code, live, _ = invoke("diagnose", "--demo", "--format", "json")
    code2, replay, _ = invoke("diagnose", "--snapshot", str(bundle), "--format", "json")
    assert code2 == code == 1
    live_data, replay_data = json.loads(live), json.loads(replay)
    assert [(f["rule"], f["key"]) for f in replay_data["findings"]] == [
        (f["rule"], f["key"]) for f in live_data["findings"]
    ]
    assert replay_data["snapshot"]["collected_at"] == live_data["generated_at"]
    assert {s["provenance"] for s in replay_data["systems"]} == {"snapshot"}
    _, text, _ = invoke("diagnose", "--snapshot", str(bundle))
    assert "Snapshot, not read live: collected just before it was diagnosed" in text
    assert "(the systems' clock then: 2026-11-25 14:00 NZDT)" in text
    _, html, _ = invoke("diagnose", "--snapshot", str(bundle), "--format", "html")
    assert "Snapshot, not read live" in html
    code, _, err = invoke("diagnose", "--snapshot", str(bundle), "--watch")
    assert code == 2 and "snapshot never changes" in err
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]", encoding="utf-8")
    code, _, err = invoke("diagnose", "--snapshot", str(junk))
    assert code == 2 and "not a troubleshooter bundle" in err


def test_a_snapshot_says_its_age_once_on_one_clock(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Collected on the 25th and read on the 29th (this machine's clock, whatever the systems'
    clock says): "4 days" in the banner, once, and no system says "just now" beside it."""
    from datetime import UTC, datetime

    import troubleshooter.runs.bundle as bundle_module

    bundle = tmp_path / "bundle.json"
    # The systems' clock (the demo's) is 2026-11-25 01:00; this machine's is set years away.
    monkeypatch.setattr(bundle_module, "host_now", lambda: datetime(2031, 3, 25, 9, tzinfo=UTC))
    assert invoke("collect", "--demo", "--output", str(bundle))[0] == 0
    monkeypatch.setattr(bundle_module, "host_now", lambda: datetime(2031, 3, 29, 9, tzinfo=UTC))
    for fmt in ("text", "md", "html"):
        _, out, _ = invoke("diagnose", "--snapshot", str(bundle), "--format", fmt)
        assert out.count("4 days before it was diagnosed") == 1, fmt
        assert "just now" not in out and "as of" not in out, fmt


def test_the_snapshot_banner_says_its_age_once(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    assert invoke("collect", "--demo", "--output", str(bundle))[0] == 0
    _, out, _ = invoke("diagnose", "--snapshot", str(bundle))
    assert out.count("before it was diagnosed") == 1  # it read "… before it was diagnosed" twice
