"""A practice's run: every organisation, one line each; generated scenarios."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from troubleshooter.cli import main
from troubleshooter.sandbox.generate import large_organisation, practice
from troubleshooter.sandbox.scenario import parse_scenario


def test_generated_scenarios_have_the_asked_size() -> None:
    large = parse_scenario(large_organisation(contacts=5000, suppliers=2000))
    assert len(large.xero.contacts) == 5000
    assert sum(c.is_supplier for c in large.xero.contacts) == 2000
    assert len(large.xero.accounts) == 2000 and len(large.xero.bank_accounts) == 20
    assert [len(c.options) for c in large.xero.tracking_categories] == [100, 100]
    assert len(large.xero.tax_rates) == 100
    organisations = practice(20)
    assert len({o["organisation"]["name"] for o in organisations}) == 20
    assert practice(20) == organisations  # the same for the same seed


def test_all_organisations_from_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "practice"
    runner = CliRunner()
    made = runner.invoke(main, ["sandbox", "generate", "--practice", "6", "--output", str(folder)])
    assert made.exit_code == 0 and len(list(folder.glob("*.yaml"))) == 6
    (folder / "client-006.yaml").write_text("clock: [broken\n", encoding="utf-8")
    result = runner.invoke(
        main, ["diagnose", "--all-organisations", "--scenario", str(folder), "--format", "json"]
    )
    data = json.loads(result.stdout)
    names = [o["name"] for o in data["organisations"]]
    assert len(names) == 6 and "client-006" in names
    broken = next(o for o in data["organisations"] if o["name"] == "client-006")
    assert broken["error"] and "not valid YAML" in broken["error"] and broken["exit_code"] == 2
    assert result.exit_code == max(o["exit_code"] for o in data["organisations"])
    for fmt in ("text", "md", "html"):
        rendered = runner.invoke(
            main, ["diagnose", "--all-organisations", "--scenario", str(folder), "--format", fmt]
        ).stdout
        assert "client-006" in rendered and "Client 001 Ltd" in rendered
    assert "Diagnosing organisations" in result.stderr  # the progress bar, on stderr


def test_a_folder_without_the_flag_is_explained(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["diagnose", "--scenario", str(tmp_path)])
    assert result.exit_code == 2 and "--all-organisations" in result.stderr


def test_if_modified_since_in_the_sandbox(demo) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from troubleshooter.sandbox.app import Sandbox

    sandbox = Sandbox(demo)

    async def check() -> tuple[int, int]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox), base_url="http://s"
        ) as c:
            headers = {"Authorization": "Bearer t", "xero-tenant-id": demo.tenant_id}
            everything = (await c.get("/xero/api.xro/2.0/Accounts", headers=headers)).json()
            since = (
                demo.clock.replace(microsecond=0) - __import__("datetime").timedelta(hours=1)
            ).isoformat()
            recent = (
                await c.get(
                    "/xero/api.xro/2.0/Accounts", headers={**headers, "If-Modified-Since": since}
                )
            ).json()
            return len(everything["Accounts"]), len(recent["Accounts"])

    from troubleshooter.infra import aio

    total, recent = aio.run(check())
    assert total > 30 and recent == 1  # only Staff Wellbeing, created 40 minutes ago
