"""Reports: golden files per format, the JSON schema, redaction and injection."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
from conftest import FAST, scenario

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.model import Diagnosis
from troubleshooter.report import FORMATS, export, md, report_json_schema
from troubleshooter.runs.bundle import bundle_json, collect, diagnose_bundle, load_bundle
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import Scenario

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def diagnosed(
    s: Scenario, library: Library, token: str = "sandbox-token", **kw: object
) -> tuple[Diagnosis, list[str]]:
    connections = sandbox_connections(Sandbox(s), settings=FAST, token=token)
    result = asyncio.run(diagnose(connections, library, **kw))  # type: ignore[arg-type]
    return result, connections.secrets()


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_matches_its_golden_file(fmt: str, demo: Scenario, library: Library) -> None:
    result, secrets = diagnosed(demo, library)
    text = export(result, fmt, secrets=secrets)
    golden = GOLDEN / f"demo.{ {'text': 'txt'}.get(fmt, fmt) }"
    if UPDATE or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote the missing golden file {golden.name}; review it and run again")
    assert text == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs; review the change, then UPDATE_GOLDEN=1 pytest tests/test_report.py"
    )


def test_json_follows_the_published_schema(demo: Scenario, library: Library) -> None:
    result, _ = diagnosed(demo, library)
    schema = report_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(export(result, "json")), schema)
    focused, _ = diagnosed(demo, library, focus="429")
    jsonschema.validate(json.loads(export(focused, "json")), schema)


PLANTED_TOKEN = "tok-PLANTED-7f3a9c"
PLANTED_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlLXBsYW50ZWQ"
SECRETS_SCENARIO = f"""
xero:
  accounts:
    - {{code: '429', name: Staff Wellbeing, created: -40m}}
    - {{code: '430', name: "{PLANTED_JWT}"}}
  bank_accounts:
    - {{code: '090', name: Business Cheque, bank_account_number: 12-3456-0123456-00}}
  contacts:
    - {{name: Kaimai Oat Milk Co, is_supplier: true, email: kiri@kaimai.example.co.nz, phone: +64 7 555 0142}}
approvalmax: {{last_sync: -1h}}
faults:
  - system: dext_adapter
    status: 401
    body: '{{"error": {{"code": "unauthorized", "message": "token {PLANTED_TOKEN} refused; got Authorization: Bearer {PLANTED_TOKEN}"}}}}'
"""


def _all_exports(library: Library, contact_details: bool = False) -> dict[str, str]:
    s = scenario(SECRETS_SCENARIO)
    pasted = "Staff Wellbeing\nask kiri@kaimai.example.co.nz or call 021 555 0142\n"
    result, secrets = diagnosed(
        s, library, token=PLANTED_TOKEN, answers={"dext.list.account": pasted}
    )
    out = {
        fmt: export(result, fmt, secrets=secrets, contact_details=contact_details)
        for fmt in FORMATS
    }
    connections = sandbox_connections(Sandbox(s), settings=FAST, token=PLANTED_TOKEN)
    bundle = asyncio.run(collect(connections, {"dext.list.account": pasted}))
    out["bundle"] = bundle_json(
        bundle, secrets=connections.secrets(), contact_details=contact_details
    )
    return out


def test_no_export_contains_a_secret(library: Library, tmp_path: Path) -> None:
    exports = _all_exports(library)
    bundle_file = tmp_path / "bundle.json"
    bundle_file.write_text(exports["bundle"], encoding="utf-8")
    replayed = diagnose_bundle(load_bundle(bundle_file), library)
    for fmt in FORMATS:
        exports[f"replayed {fmt}"] = export(replayed, fmt)
    for name, text in exports.items():
        assert PLANTED_TOKEN not in text, name
        assert PLANTED_JWT not in text, name
        assert "kiri@kaimai" not in text, name
        assert "555 0142" not in text, name
        assert "0123456" not in text, name
    json_text = exports["json"]
    assert "••••5600" in json_text  # the last four digits stay, to match Dext's payment method
    assert "Dext adapter" in exports["text"] and "401" in exports["text"]  # the reason survives


def test_contact_details_stay_when_asked(library: Library) -> None:
    exports = _all_exports(library, contact_details=True)
    assert "kiri@kaimai.example.co.nz" in exports["json"]
    assert PLANTED_TOKEN not in exports["json"] and "0123456" not in exports["json"]


INJECTION = """
xero:
  accounts:
    - {code: '401', name: "<script>alert(1)</script>", created: -30m}
    - {code: '402', name: "| a | b |", created: -30m}
    - {code: '403', name: '=HYPERLINK("http://evil.example","click")', created: -30m}
  contacts:
    - {name: "[click](javascript:alert(1))", is_supplier: true, created: -30m}
approvalmax: {last_sync: -1h}
"""


def test_names_are_data_never_markup(library: Library) -> None:
    result, _ = diagnosed(scenario(INJECTION), library)
    html = export(result, "html")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html.lower()
    markdown = export(result, "md")
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert not re.search(r"(?<!\\)\]\(javascript", markdown)  # escaped: no link
    for line in markdown.splitlines():
        if line.startswith("| 40"):  # every row keeps its five columns
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line
    assert "\\=HYPERLINK" in markdown
    for line in markdown.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)] if line.startswith("|") else []
        assert not any(c[:1] in ("=", "+", "@") for c in cells), line  # no formula in a cell
    data = json.loads(export(result, "json"))
    assert "<script>alert(1)</script>" in {
        i["name"] for i in data["items"]
    }  # JSON keeps data as data


def test_markdown_has_no_raw_html_and_html_makes_no_requests(
    demo: Scenario, library: Library
) -> None:
    result, _ = diagnosed(demo, library)
    markdown = export(result, "md")
    assert not re.search(r"(?<!\\)<(?!https?://)", markdown)
    html = export(result, "html")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""\b(src|srcset)\s*=""", html)
    assert "url(" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "prefers-color-scheme: dark" in html and "@media print" in html
    assert 'name="viewport"' in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a | b", "a \\| b"),
        ("=SUM(A1)", "\\=SUM(A1)"),
        ("# heading", "\\# heading"),
        ("two\nlines", "two lines"),
        ("*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"),
    ],
)
def test_markdown_escaping(value: str, expected: str) -> None:
    assert md(value) == expected


HOSTILE_NAMES = r"""
xero:
  accounts:
    - {code: '401', name: "Evil\x1b[2J\x1b]0;pwned\x07 Co", created: -30m}
    - {code: '402', name: "Left \u202eright\u202c end", created: -30m}
    - {code: '403', name: "Two\nlines", created: -30m}
approvalmax: {last_sync: -1h}
"""


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_control_and_bidi_characters_in_names_are_shown_escaped(fmt: str, library: Library) -> None:
    result, _ = diagnosed(scenario(HOSTILE_NAMES), library)
    out = export(result, fmt)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out), fmt
    shown = "Evil\\x1b[2J\\x1b]0;pwned\\x07 Co"
    assert (md("Evil\x1b[2J\x1b]0;pwned\x07 Co") if fmt == "md" else shown) in out
    assert ("\\\\u202eright" if fmt == "md" else "\\u202eright") in out
    if fmt != "html":  # a name cannot start a line of its own (a forged step or heading)
        assert not any(line.startswith("lines") for line in out.splitlines())


def test_markdown_lists_the_items_with_findings_and_counts_the_rest(
    demo: Scenario, library: Library
) -> None:
    result, _ = diagnosed(demo, library)
    lean = export(result, "md")
    full = export(result, "md", all_items=True)
    assert "| 429 | Staff Wellbeing ⚠ |" in lean and "| 200 | Sales - Cafe |" not in lean
    assert "…and 36 more without findings." in lean
    assert "| 200 | Sales - Cafe |" in full and "more without findings" not in full
    assert len(lean) < len(full) * 0.7


def test_customer_reports_carry_no_flags_or_rule_ids(demo: Scenario, library: Library) -> None:
    result, _ = diagnosed(scenario("dext: {access: none}\napprovalmax: {access: none}\n"), library)
    assert result.questions  # there is something to ask
    for fmt in ("md", "html"):
        out = export(result, fmt)
        assert "--answer" not in out and "--item" not in out, fmt
        assert not any(q.id in out for q in result.questions), fmt
    assert "--answer" in export(result, "text")  # agents keep the hint


def test_json_is_redacted_as_it_is_serialised_and_the_diagnosis_stays_whole(
    library: Library,
) -> None:
    """The export redacts on the way out (no copy of the diagnosis); the diagnosis itself
    keeps what it holds, for the person's own screen."""
    result, secrets = diagnosed(scenario(SECRETS_SCENARIO), library, token=PLANTED_TOKEN)
    before = result.model_dump_json()
    exported = export(result, "json", secrets=secrets)
    assert PLANTED_JWT not in exported and "kiri@kaimai" not in exported
    assert "••••5600" in exported
    assert result.model_dump_json() == before  # nothing was changed in place
    assert PLANTED_JWT in before  # and the unexported diagnosis still has it
