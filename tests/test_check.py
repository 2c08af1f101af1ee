"""The guided check, kept answers, and partial knowledge as a person meets it on the command line:
exact plans and verdicts for the cases the new-user report described."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import invoke

BLIND = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Example Trading Ltd}
xero:
  accounts:
    - {code: "400", name: Advertising, type: OVERHEADS}
    - {code: "469", name: Rent, type: OVERHEADS}
    - {code: "429", name: Staff Wellbeing, created: -40m}
approvalmax: {access: none}
dext: {access: none}
"""


def blind(tmp_path: Path) -> Path:
    path = tmp_path / "blind.yaml"
    path.write_text(BLIND, encoding="utf-8")
    return path


def two_staff_accounts(tmp_path: Path) -> Path:
    """BLIND with a second account whose name starts "Staff": "staff" matches two items."""
    path = tmp_path / "several.yaml"
    wellbeing = '    - {code: "429", name: Staff Wellbeing, created: -40m}\n'
    training = '    - {code: "430", name: Staff Training, created: -40m}\n'
    path.write_text(BLIND.replace(wellbeing, wellbeing + training), encoding="utf-8")
    return path


def plan(out: str) -> list[tuple[str, list[str] | None]]:
    return [
        (step["action"], step["gate"]["answers"] if step["gate"] else None)
        for step in json.loads(out)["plan"]
    ]


# -- the cases of the report ------------------------------------------------------------------


def test_a_pasted_dext_list_without_the_item_gives_a_plan_that_waits_on_one_check(
    tmp_path: Path,
) -> None:
    """Dext's list lacks it; ApprovalMax is not known: check ApprovalMax first; if it is not
    there, SYNC NOW; then reload Dext. Never "no problem found"."""
    pasted = tmp_path / "dext-accounts.txt"
    pasted.write_text("400 Advertising\n469 Rent\n", encoding="utf-8")
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellbeing"]
    args += ["--answer", f"dext.list.account=@{pasted}"]
    code, out, _ = invoke(*args, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert data["items"][0]["stages"] == {
        "xero": "present",
        "approvalmax": "unknown",
        "dext": "missing",
    }
    # Waiting is a choice only if ApprovalMax has it: then Dext's daily pull (taken to work)
    # brings it within a day; if not, when ApprovalMax syncs is not known.
    assert plan(out) == [("sync_approvalmax", ["no"]), ("reconnect_dext", None), ("wait", ["yes"])]
    assert data["plan"][0]["gate"]["check"] == "Open ApprovalMax and look for 429 Staff Wellbeing"
    assert data["questions"][0]["id"] == "approvalmax.has.429"
    code, text, _ = invoke(*args)
    assert text.splitlines()[0] == (
        "Example Trading Ltd: 1 item stopped on the way from Xero to Dext; what to do first "
        "depends on a check; 5 questions would settle the rest"
    )
    assert (
        "1. Open ApprovalMax and look for 429 Staff Wellbeing. If it is not there: sync to "
        "ApprovalMax first" in " ".join(text.split())
    )
    assert "no problem found" not in text and "Nothing to fix" not in text
    # Waiting holds only if ApprovalMax has it: said behind that answer, and no step claims
    # an arrival time without action that only one answer gives.
    flat = " ".join(text.split())
    assert "If it is there, you can simply wait:" in flat and "Or simply wait" not in flat
    reconnect = next(s for s in data["plan"] if s["action"] == "reconnect_dext")
    assert reconnect["expected_note"] is None
    _, md, _ = invoke(*args, "--format", "md")
    assert "If it is there, you can simply wait:" in md


def test_every_item_a_pasted_list_lacks_gets_its_steps_not_only_the_first(
    tmp_path: Path,
) -> None:
    """Two items missing from Dext's list, ApprovalMax not known: one check about both, and
    each step for both (it was all about the first item; the second got nothing)."""
    pasted = tmp_path / "dext-accounts.txt"
    pasted.write_text("469 Rent\n", encoding="utf-8")
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--format", "json"]
    code, out, _ = invoke(*args, "--answer", f"dext.list.account=@{pasted}")
    assert code == 1
    data = json.loads(out)
    keys = {i["name"]: i["key"] for i in data["items"]}
    both = {keys["Advertising"], keys["Staff Wellbeing"]}
    assert plan(out) == [("sync_approvalmax", ["no"]), ("reconnect_dext", None), ("wait", ["yes"])]
    steps = [step for step in data["plan"] if step["action"] != "wait"]  # organisation-wide
    assert all(set(step["items"]) == both for step in steps), data["plan"]
    assert data["plan"][0]["gate"]["check"] == (
        "Open ApprovalMax and look for each of 400 Advertising and 429 Staff Wellbeing"
    )


def test_a_search_matching_many_items_still_ends_with_a_plan(tmp_path: Path) -> None:
    """Twelve accounts match "Expense"; Dext's list lacks two of them: the questions are not
    ranked (too many items), but the plan still says what to do for those two."""
    many = tmp_path / "many.yaml"
    accounts = "".join(
        f'    - {{code: "{500 + n}", name: Expense {n}, type: EXPENSE}}\n' for n in range(12)
    )
    many.write_text(BLIND.replace("  accounts:\n", "  accounts:\n" + accounts, 1), encoding="utf-8")
    pasted = tmp_path / "dext-accounts.txt"
    pasted.write_text("".join(f"{500 + n} Expense {n}\n" for n in range(10)), encoding="utf-8")
    args = ["diagnose", "--scenario", str(many), "--item", "expense", "--format", "json"]
    code, out, _ = invoke(*args, "--answer", f"dext.list.account=@{pasted}")
    assert code == 1
    data = json.loads(out)
    assert len(data["items"]) == 12
    keys = {i["name"]: i["key"] for i in data["items"]}
    assert [a for a, _ in plan(out)][:2] == ["sync_approvalmax", "reconnect_dext"]
    for step in data["plan"][:2]:
        assert set(step["items"]) == {keys["Expense 10"], keys["Expense 11"]}, step


def test_two_presence_answers_give_the_expert_s_plan(tmp_path: Path) -> None:
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "429", "--format", "json"]
    args += ["--answer", "approvalmax.has.429=not there", "--answer", "dext.has.429=no"]
    code, out, _ = invoke(*args)
    assert code == 1
    # No "or simply wait": nobody said when ApprovalMax or Dext last synced, so there is no
    # time to base it on; the first question asks for it.
    assert plan(out) == [("sync_approvalmax", None), ("reconnect_dext", None)]
    data = json.loads(out)
    assert data["questions"][0]["id"] == "approvalmax.last_sync.accounts"
    assert {a["question"] for a in data["assumptions"]} == {
        "approvalmax.xero_connection",
        "dext.connection",
        "dext.last_pull",
    }
    answered = {s["stage"]: list(s["answered"]) for s in data["systems"]}
    assert answered["approvalmax"] == ["approvalmax.has.429"]  # counted on the system's card
    assert answered["dext"] == ["dext.has.429"]
    _, md, _ = invoke(*[a for a in args if a not in ("--format", "json")], "--format", "md")
    rows = [line for line in md.splitlines() if line.startswith("| Dext |")]
    assert len(rows) == 1 and rows[0].count("lists and sync times from you") == 1
    assert "| ApprovalMax | ! partial | organisations from its API |" in md


def test_lists_that_contradict_the_chain_are_a_finding_of_their_own(tmp_path: Path) -> None:
    """Dext holds an account ApprovalMax lacks: not "nothing is broken", but the question that
    settles it (where does Dext take its lists from?), first."""
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "429", "--format", "json"]
    args += ["--answer", "approvalmax.has.429=no", "--answer", "dext.has.429=yes"]
    code, out, _ = invoke(*args)
    data = json.loads(out)
    assert code == 1
    assert "lists-contradict-the-chain" in [f["rule"] for f in data["findings"]]
    assert plan(out)[0] == ("settle_where_dext_takes_its_lists", None)
    assert data["questions"][0]["id"] == "dext.connection"
    _, text, _ = invoke(*[a for a in args if a not in ("--format", "json")])
    # It reached Dext: not "stopped on the way", but a finding to look at.
    assert text.splitlines()[0].startswith("Example Trading Ltd: 1 item with a finding to look at")
    code, out, _ = invoke(*args, "--answer", "dext.connection=Xero")  # that explains it
    actions = [s[0] for s in plan(out)]
    assert "switch_dext_integration" in actions
    assert "settle_where_dext_takes_its_lists" not in actions
    # Told where Dext takes its lists from, the rest of that setup is not assumed any more.
    assumed = {a["fact"] for a in json.loads(out)["assumptions"]}
    assert not assumed & {"dext.integration", "dext.linked_elsewhere"}


def test_the_verdict_names_the_system_an_item_is_not_known_to_have_reached(
    tmp_path: Path,
) -> None:
    path = tmp_path / "only-dext-hidden.yaml"
    path.write_text(BLIND.replace("approvalmax: {access: none}\n", ""), encoding="utf-8")
    code, text, _ = invoke("diagnose", "--scenario", str(path))
    assert code == 3  # not known: incomplete
    assert "not known to have reached Dext" in text.splitlines()[0]
    assert "ApprovalMax" not in text.splitlines()[0]


def test_one_answer_about_one_item_of_three_is_not_every_item_on_its_way(tmp_path: Path) -> None:
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--format", "json"]
    code, out, _ = invoke(*args, "--answer", "approvalmax.list.account=400 Advertising\n469 Rent")
    data = json.loads(out)
    assert code == 1
    assert "wait" not in [s[0] for s in plan(out)]  # Rent and Advertising: Dext not known
    assert data["summary"]["unverified"] == 2 and data["summary"]["stopped"] == 1
    _, text, _ = invoke(*args, "--answer", "approvalmax.list.account=400 Advertising\n469 Rent")
    assert "nothing is broken" not in text.casefold() and "nothing seems broken" not in text


def test_approvalmax_read_partly_says_so(tmp_path: Path) -> None:
    _, text, _ = invoke("diagnose", "--scenario", str(blind(tmp_path)))
    line = next(line for line in text.splitlines() if "ApprovalMax " in line and "  ! " in line)
    assert "organisations from its API · lists and sync times from you, 0 of" in line


def test_answers_in_people_s_words(tmp_path: Path) -> None:
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "429", "--format", "json"]
    args += ["--answer", "approvalmax.has.429=no"]
    args += ["--answer", "approvalmax.last_sync.accounts=13:00"]  # as ApprovalMax's pop-up shows
    args += ["--answer", "dext.connection=ApprovalMax for Xero"]
    args += ["--answer", "dext.last_pull=11 hours ago"]
    args += ["--answer", "approvalmax.xero_connection=yes"]
    code, out, err = invoke(*args)
    assert code == 1, err
    data = json.loads(out)
    dext = next(s for s in data["systems"] if s["stage"] == "dext")
    assert dext["last_pull"] == "2026-11-24T14:00:00Z"  # JSON stays UTC
    am = next(s for s in data["systems"] if s["stage"] == "approvalmax")
    assert am["last_sync"]["accounts"] == "2026-11-25T00:00:00Z"  # 13:00 in Auckland
    code, _, err = invoke(*args[:-2], "--answer", "approvalmax.xero_connection=perhaps")
    assert code == 2 and "Answer one of: Connected (no RECONNECT button)" in err


# -- the guided check ---------------------------------------------------------------------------


def test_the_guided_check_with_nothing_connected(tmp_path: Path) -> None:
    answers = "\n".join(["maybe", "account", "yes", "40 minutes ago", "no"]) + "\n"
    code, out, err = invoke("check", "Staff Wellbeing", stdin=answers)
    assert code == 1
    assert "Nothing is connected: the check asks about Xero too." in err
    assert "What kind of thing is “Staff Wellbeing”?" in err
    assert "Answer one of: An account (in Dext: a Category);" in err  # "maybe", refused plainly
    assert 'Can you find the account "Staff Wellbeing" in ApprovalMax?' in err
    assert "1. Sync to ApprovalMax first" in out and "2. Reconnect ApprovalMax to Dext" in out
    assert "Xero         answered" in out
    # The other cards say once that nothing is connected, and where their lists come from.
    cards = [line for line in out.splitlines() if "ApprovalMax  " in line or "Dext  " in line]
    assert cards and all(line.count("connected") == 1 for line in cards), cards
    assert all("lists and sync times from you" in line for line in cards), cards


def test_answers_given_with_nothing_connected_are_kept_listed_resumed_and_cleared() -> None:
    answers = "\n".join(["account", "yes", "40 minutes ago", "no", "", "", "", ""]) + "\n"
    _, first, err = invoke("check", "Staff Wellbeing", stdin=answers)
    assert "Your answers are kept: the next `troubleshooter check 'Staff Wellbeing'`" in err
    code, listed, _ = invoke("answers", "list")
    assert code == 0, listed
    assert "“Staff Wellbeing”, nothing connected (guided check): 4 answers, saved " in listed
    assert "approvalmax.has.staff-wellbeing = no" in listed
    # The same check again starts from them: nothing answered is asked again, same result.
    code, again, err = invoke("check", "Staff Wellbeing", stdin="\n" * 8)
    assert "Using 4 answers kept from the last check of 'Staff Wellbeing'" in err
    assert "What kind of thing" not in err and "in ApprovalMax?" not in err

    def without_clock(text: str) -> list[str]:  # the one line that names this machine's time
        return [line for line in text.splitlines() if not line.startswith("Diagnosed at")]

    assert without_clock(again) == without_clock(first) and code == 1
    # Another item starts afresh; `answers clear` forgets them.
    _, _, err = invoke("check", "Rent", stdin="\n")
    assert "kept from the last check" not in err
    assert invoke("answers", "clear")[0] == 0
    _, _, err = invoke("check", "Staff Wellbeing", stdin="\n")
    assert "kept from the last check" not in err


def test_the_guided_check_says_when_the_item_is_not_in_xero() -> None:
    code, out, err = invoke("check", "Staff Wellbeing", stdin="account\nno\n")
    assert code == 1 and out == ""
    assert "It is not in Xero, and Dext can only have what Xero has" in err


def test_the_guided_check_reads_what_is_connected_and_asks_the_rest(tmp_path: Path) -> None:
    path = blind(tmp_path)
    code, out, err = invoke("check", "wellbeing", "--scenario", str(path), stdin="no\n")
    assert code == 1
    assert "What kind of thing" not in err  # Xero is read
    assert err.count('Can you find the account "429 Staff Wellbeing" in ApprovalMax?') == 1
    assert "1. Sync to ApprovalMax first" in out
    assert "If it is not there" not in out  # answered: the plan no longer waits on it


# -- kept answers -------------------------------------------------------------------------------


def test_answers_are_kept_listed_and_cleared(tmp_path: Path) -> None:
    path = blind(tmp_path)
    base = ["diagnose", "--scenario", str(path), "--item", "429", "--format", "json"]
    _, first, _ = invoke(*base, "--answer", "approvalmax.has.429=no")
    code, again, err = invoke(*base)
    assert "using 1 answer kept from before for Example Trading Ltd" in err
    assert plan(again) == plan(first) and code == 1
    _, listed, _ = invoke("answers", "list")
    assert "Example Trading Ltd (sandbox blind.yaml): 1 answer" in listed
    assert "approvalmax.has.429 = no" in listed
    _, fresh, _ = invoke(*base, "--fresh")
    assert plan(fresh)[0][1] == ["no"]  # kept answers ignored: it waits on the check again
    _, cleared, _ = invoke("answers", "clear")
    assert "Forgot the answers kept for 1 organisation." in cleared
    _, after, err = invoke(*base)
    assert "kept from before" not in err and plan(after)[0][1] == ["no"]


def test_a_kept_time_is_the_moment_it_meant_not_a_relative_one(tmp_path: Path) -> None:
    """ "11 hours ago" said today is kept as the moment it meant (the systems' clock here is
    2026-11-25 01:00 UTC), so tomorrow's run does not read it as eleven hours before tomorrow;
    the list shows it as typed and as read, in the organisation's zone."""
    path = blind(tmp_path)
    invoke("diagnose", "--scenario", str(path), "--item", "429",
        "--answer", "dext.last_pull=11 hours ago", "--answer", "approvalmax.has.429=no")  # fmt: skip
    _, listed, _ = invoke("answers", "list")
    assert "dext.last_pull = 11 hours ago (read as 2026-11-25 03:00 NZDT)" in listed
    assert "approvalmax.has.429 = no\n" in listed


def test_a_whole_organisation_run_names_an_item_that_stopped_and_gives_its_plan(
    tmp_path: Path,
) -> None:
    """Dext's pasted list lacks one account and nothing says whether ApprovalMax has it: a
    whole-organisation run names it, asks about it, gives the plan that waits on that check,
    and the reports list it as a problem, not "without findings"."""
    pasted = tmp_path / "dext-accounts.txt"
    pasted.write_text("400 Advertising\n469 Rent\n", encoding="utf-8")
    args = ["diagnose", "--scenario", str(blind(tmp_path))]
    args += ["--answer", f"dext.list.account=@{pasted}"]
    code, out, _ = invoke(*args, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert plan(out)[:2] == [("sync_approvalmax", ["no"]), ("reconnect_dext", None)]
    assert data["questions"][0]["id"] == "approvalmax.has.429"
    _, text, _ = invoke(*args)
    assert "Staff Wellbeing" in text and "429" in text
    _, md, _ = invoke(*args, "--format", "md")
    assert "| 429 | Staff Wellbeing ⚠ | ✓ present | ? unknown | ✗ missing |" in md
    assert "1 stopped, the cause waiting on a check or a question" in md
    # Answered, the plan stands as it is.
    code, out, _ = invoke(*args, "--answer", "approvalmax.has.429=no", "--format", "json")
    assert plan(out)[:2] == [("sync_approvalmax", None), ("reconnect_dext", None)]


def test_an_answers_file_reads_values_as_they_were_typed(tmp_path: Path) -> None:
    """YAML would read `13:00` as 780 and `yes` as True: in an answers file they are what the
    person typed, as on the command line."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "approvalmax.last_sync.accounts: 13:00\napprovalmax.has.429: no\ndext.has.429: no\n"
        "approvalmax.xero_connection: yes\n",
        encoding="utf-8",
    )
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "429", "--format", "json"]
    code, out, err = invoke(*args, "--answers", str(answers))
    assert code == 1, err
    data = json.loads(out)
    am = next(s for s in data["systems"] if s["stage"] == "approvalmax")
    assert am["last_sync"]["accounts"] == "2026-11-25T00:00:00Z"  # 13:00 in Auckland
    assert "approvalmax.xero_connection" not in {q["id"] for q in data["questions"]}


def test_reports_do_not_file_items_not_known_to_have_arrived_as_without_findings(
    tmp_path: Path,
) -> None:
    """Nothing seen of ApprovalMax or Dext: the items are not known to have arrived, which
    is not the same as having no findings."""
    args = ["diagnose", "--scenario", str(blind(tmp_path))]
    _, md, _ = invoke(*args, "--format", "md")
    assert "3 not known yet to have arrived." in md and "without findings" not in md
    _, html, _ = invoke(*args, "--format", "html", "--all-items")
    assert "<summary>3 not known yet to have arrived</summary>" in html


def test_the_counts_in_one_output_agree(tmp_path: Path) -> None:
    """The verdict counts the questions whose answer could change the plan; the list shows
    them all and says of the others why they are not counted. The summary line calls an item
    stopped only where the JSON does."""
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellbeing"]
    _, text, _ = invoke(*args)
    _, out, _ = invoke(*args, "--format", "json")
    data = json.loads(out)
    listed = text.count("answer with: --answer")
    aside = text.count("No answer to this one would change the plan")
    counted = sum(1 for q in data["questions"] if q["changes_plan"] is not False)
    assert listed == len(data["questions"]) and listed - aside == counted
    assert f"; {counted} questions would settle the rest" in text.splitlines()[0]
    summary = next(line for line in text.splitlines() if " checked: " in line)
    assert data["summary"]["stopped"] == 0 and "stopped" not in summary
    assert f"{data['summary']['unverified']} not known to have arrived" in " ".join(text.split())


def test_the_guided_check_offers_the_nearest_name_for_a_typo_and_carries_on(
    tmp_path: Path,
) -> None:
    stdin = "1\n" + "\n" * 8
    code, out, err = invoke(
        "check", "Staff Welbeing", "--scenario", str(blind(tmp_path)), stdin=stdin
    )
    assert "Nothing called “Staff Welbeing” is in Xero, ApprovalMax or Dext." in err
    assert "  1. Staff Wellbeing" in err
    assert 'Can you find the account "429 Staff Wellbeing" in ApprovalMax?' in err
    assert code != 2 and "Staff Wellbeing" in out
    # Giving up (Enter) is the error it was, naming the nearest name.
    code, _, err = invoke("check", "Staff Welbeing", "--scenario", str(blind(tmp_path)), stdin="\n")
    assert code == 2 and "did you mean 'Staff Wellbeing'?" in err


def test_the_guided_check_asks_which_of_several_matches_is_meant(tmp_path: Path) -> None:
    several = two_staff_accounts(tmp_path)
    stdin = "2\n" + "\n" * 8
    args = ["check", "staff", "--scenario", str(several), "--format", "json"]
    _, out, err = invoke(*args, stdin=stdin)
    assert "“staff” matches 2 items: which one?" in err
    assert "  2. account Staff Training (430)" in err
    data = json.loads(out)
    assert [i["name"] for i in data["items"]] == ["Staff Training"]
    assert data["focus"] == "staff"
    # Enter: all of them.
    _, out, _ = invoke(*args, stdin="\n" * 12)
    assert len(json.loads(out)["items"]) == 2


REGION_WISE = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Collide Ltd}
xero:
  accounts:
    - {code: "400", name: Advertising, type: OVERHEADS}
  bank_accounts:
    - {name: Region Wise, created: -2d}
  tracking_categories:
    - name: Region
      options:
        - {name: Wise, created: -3h}
approvalmax: {last_sync: -1h, access: none}
dext: {last_pull: -11h, access: none}
"""


def test_a_question_s_id_names_one_item_among_all_not_only_those_asked_about(
    tmp_path: Path,
) -> None:
    """A bank account "Region Wise" and the tracking option Region / Wise: asked about the
    bank account alone, its question's id must still be one that answers name it alone."""
    path = tmp_path / "collide.yaml"
    path.write_text(REGION_WISE, encoding="utf-8")
    args = ["diagnose", "--scenario", str(path), "--item", "Region Wise", "--format", "json"]
    _, out, _ = invoke(*args)
    asked = next(
        q["id"] for q in json.loads(out)["questions"] if q["id"].startswith("approvalmax.has.")
    )
    code, out, err = invoke(*args, "--answer", f"{asked}=no")
    assert code == 1, err
    assert asked not in {q["id"] for q in json.loads(out)["questions"]}


def test_is_it_in_xero_takes_yes_and_no_as_people_say_them() -> None:
    cases = (
        ("Staff Wellbeing", "yeah", "When was it created"),
        ("Rent", "can't find it", "It is not in Xero"),
    )
    for item, said, expected in cases:  # two items: answers kept for one are not the other's
        _, _, err = invoke("check", item, stdin=f"account\n{said}\n\n\n\n\n\n")
        assert expected in err, (said, err)


def test_which_of_several_takes_a_name_and_asks_again_for_anything_else(tmp_path: Path) -> None:
    several = two_staff_accounts(tmp_path)
    # "²" and "9" are no numbers shown: asked again; then a part of a name picks one.
    stdin = "²\n9\ntraining\n" + "\n" * 8
    code, out, err = invoke(
        "check", "staff", "--scenario", str(several), "--format", "json", stdin=stdin
    )
    assert err.count("“staff” matches 2 items: which one?") == 3
    assert err.count("That is none of them") == 2
    assert [i["name"] for i in json.loads(out)["items"]] == ["Staff Training"]
    # At "did you mean", a character that reads as a digit is a name, not a traceback.
    code, _, err = invoke("check", "Staff Welbeing", "--scenario", str(several), stdin="²\n\n")
    assert code == 2 and "Traceback" not in err and "matches '²'" in err
