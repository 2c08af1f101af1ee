"""Answers in the tool's own words: one matcher reads every choice (the rules' questions and the
guided check's), by the option's text as shown, a part of it, its number, its id, the kind
words the tool shows; and a refusal names the options as shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import invoke

from troubleshooter.diagnosis.answers import (
    AnswerError,
    choose,
    parse_yes_no,
    read_answers,
)
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.questions import fill, spec_for
from troubleshooter.runs.check import _KIND_OPTIONS, GuidedCheck

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
ORG = "Example Trading Ltd"

BLIND = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Example Trading Ltd}
xero:
  accounts:
    - {code: "400", name: Advertising, type: OVERHEADS}
    - {code: "429", name: Staff Wellbeing, created: -40m}
  tracking_categories:
    - name: Region
      options: [{name: Auckland}, {name: Wellington}]
approvalmax: {access: none}
dext: {access: none}
"""


def blind(tmp_path: Path) -> Path:
    path = tmp_path / "blind.yaml"
    path.write_text(BLIND, encoding="utf-8")
    return path


def read_one(library: Library, qid: str, text: str, names: tuple[str, ...] = (ORG,)) -> object:
    [answer] = read_answers({qid: text}, library.rules.questions, NOW, UTC, names).answers
    return answer.value


# -- the guided check's "what kind of thing is it?" ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("An account", "account"),
        ("account", "account"),
        ("a Category", "account"),
        ("Categories", "account"),
        ("ACCOUNTS", "account"),
        ("bank account", "bank_account"),
        ("Bank accounts", "bank_account"),
        ("Payment methods", "bank_account"),
        ("a payment method", "bank_account"),
        ("tracking option", "tracking_option"),
        ("A tracking option", "tracking_option"),
        ("tracking_option", "tracking_option"),
        ("Tracking Options", "tracking_option"),
        ("Projects", "tracking_option"),
        ("a project value", "tracking_option"),
        ("The tax rates", "tax_rate"),
        ("suppliers", "supplier"),
        ("1", "account"),
        ("5", "bank_account"),
        ("A tracking option (in Dext: a value of a Project list)", "tracking_option"),
    ],
)
def test_the_kind_in_the_tool_s_own_words(text: str, kind: str, library: Library) -> None:
    guided = GuidedCheck("Staff Wellbeing", library, now=NOW)
    question = guided.next_question()
    assert question is not None and question.id == "xero.kind"
    guided.answer(question, text)
    assert guided.answers["xero.kind"] == kind


def test_an_answer_that_fits_no_kind_is_refused_in_one_sentence(library: Library) -> None:
    guided = GuidedCheck("Staff Wellbeing", library, now=NOW)
    question = guided.next_question()
    assert question is not None
    for text in ("6", "0", "something", "dext"):
        with pytest.raises(AnswerError) as refused:
            guided.answer(question, text)
        assert refused.value.sentences["xero.kind"] == (
            "Answer one of: An account (in Dext: a Category); A tracking option (in Dext: a "
            "value of a Project list); A supplier; A tax rate; A bank account (in Dext: behind "
            "a Payment method); or its number, 1 to 5."
        )
    assert "xero.kind" not in guided.answers


def test_an_account_typed_on_standard_input_is_taken() -> None:
    code, _, err = invoke("check", "Staff Wellbeing", stdin="An account\n")
    assert "Answer one of" not in err
    assert "Is “Staff Wellbeing” in Xero?" in err  # the next question: the kind was taken
    assert code == 3  # the answers ended before the diagnosis could say more


# -- the rules' choices ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ApprovalMax for Xero, for Example Trading Ltd", "this"),  # as shown, name filled
        ("approvalmax for xero for example trading ltd", "this"),
        ("ApprovalMax for Xero, for this organisation", "this"),
        ("ApprovalMax for Xero", "this"),
        ("1", "this"),
        ("3", "xero"),
        ("4", "none"),
        ("Xero, directly", "xero"),
        ("xero_direct", "xero"),
        ("ApprovalMax for Xero, but for another organisation", "other"),
        ("another organisation", "other"),
    ],
)
def test_where_dext_takes_its_lists_from_as_shown(text: str, value: str, library: Library) -> None:
    assert read_one(library, "dext.connection", text) == value


def test_a_refusal_fills_in_the_organisation(library: Library) -> None:
    with pytest.raises(AnswerError) as refused:
        read_one(library, "dext.connection", "5")
    sentence = refused.value.sentences["dext.connection"]
    assert sentence.startswith(f"Answer one of: ApprovalMax for Xero, for {ORG}; ")
    assert sentence.endswith("; or its number, 1 to 4.")
    assert "{" not in sentence
    with pytest.raises(AnswerError) as unknown:
        read_one(library, "dext.connection", "perhaps", names=())
    assert unknown.value.sentences["dext.connection"].startswith(
        "Answer one of: ApprovalMax for Xero, for this organisation; "
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes, but hidden", "hidden"),
        ("Yes but hidden", "hidden"),
        ("hidden", "hidden"),
        ("greyed out", "hidden"),
        ("it's greyed out", "hidden"),
        ("not visible", "hidden"),
        ("Yes, but its Visible switch is off (greyed out)", "hidden"),
        ("3", "hidden"),
        ("yes", "yes"),
        ("Yes, it's there", "yes"),
        ("no", "no"),
        ("it's not there", "no"),
        ("2", "no"),
    ],
)
def test_a_tracking_option_hidden_in_dext_as_people_say_it(
    text: str, value: str, tmp_path: Path
) -> None:
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellington"]
    code, out, err = invoke(
        *args, "--answer", f"dext.has.region-wellington={text}", "--format", "json"
    )
    assert code in (0, 1, 3), err
    stages = json.loads(out)["items"][0]["stages"]
    assert stages["dext"] == {"yes": "present", "no": "missing", "hidden": "hidden"}[value]


def test_an_option_offered_only_for_another_kind_is_refused(tmp_path: Path) -> None:
    """An account's question shows two options (an account has no Visible switch in Dext): its
    "3" is not the hidden of a tracking option's question."""
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellbeing"]
    code, _, err = invoke(*args, "--answer", "dext.has.429=3")
    assert code == 2
    assert "dext.has.429: Answer one of: Yes; No; or its number, 1 to 2." in err
    assert "Traceback" not in err


@pytest.mark.parametrize("text", ["visible", "perhaps", "yes and no", "", "0"])
def test_what_fits_no_option_or_two_is_refused_not_guessed(text: str, library: Library) -> None:
    spec, _ = spec_for(library.rules.questions, "dext.has.x")
    with pytest.raises(ValueError, match=r"^Answer one of: Yes; No; Yes, but"):
        choose(spec.options, text)


def test_yes_and_no_in_the_usual_forms() -> None:
    for text in ("yes", "Y", "Yes.", "yep", "it is there", "it's there", "found it", "1"):
        assert parse_yes_no(text) is True, text
    for text in ("no", "N", "nope", "not there", "it's not there", "missing", "0"):
        assert parse_yes_no(text) is False, text
    for text in ("maybe", "2"):
        with pytest.raises(ValueError, match=r"^Answer yes or no\.$"):
            parse_yes_no(text)
    with pytest.raises(ValueError, match=r"^'yes no' says two things at once; answer yes or no\.$"):
        parse_yes_no("yes no")


def test_every_option_reads_back_as_itself(library: Library) -> None:
    """For every choice the tool asks (the rules' and the guided check's), each option's id,
    text as shown, number and every one of its words is read as that option and no other: no
    two options of one question share a word."""
    choices = [(spec.id, spec.options) for spec in library.rules.questions if spec.type == "choice"]
    choices.append(("xero.kind", _KIND_OPTIONS))
    assert len(choices) > 4
    for qid, options in choices:
        for number, option in enumerate(options, start=1):
            shown = fill(option.says, {"organisation": ORG})
            for text in (option.value, shown, str(number), *option.words):
                assert choose(options, text, [ORG]) == option.value, (qid, text)


def test_options_offered_only_for_some_kinds_come_last(library: Library) -> None:
    """An option's number is its place among those shown: one shown only for some kinds of
    item must come after every option shown for all, or the numbers would shift."""
    for spec in library.rules.questions:
        limited = [bool(o.kinds) for o in spec.options]
        assert limited == sorted(limited), spec.id


YES_FORMS = ["yeah", "yep", "yup", "Yeah.", "I can see it", "it's there", "found it"]
NO_FORMS = ["nope", "nah", "can't find it", "Can’t find it", "not found", "not there",
            "I can't see it"]  # fmt: skip


YES_AND_NO = [(t, True) for t in [*YES_FORMS, "yes"]] + [(t, False) for t in [*NO_FORMS, "no"]]


@pytest.mark.parametrize(("text", "value"), YES_AND_NO)
def test_yes_and_no_as_people_type_them(text: str, value: bool, library: Library) -> None:
    """Every question that asks yes or no takes the same forms: a yes/no question, and a
    choice whose options are a yes and a no ("Can you find it in Dext?")."""
    assert parse_yes_no(text) is value
    assert read_one(library, "approvalmax.has.429", text) is value
    assert read_one(library, "dext.has.429", text) == ("yes" if value else "no")


def test_a_yes_or_no_that_is_not_about_finding_takes_yes_and_no_alone(library: Library) -> None:
    """ "Is Dext connected to this organisation?": yeah or nope, but "not found" says nothing
    about it."""
    assert read_one(library, "dext.linked", "yeah") == "yes"
    assert read_one(library, "dext.linked", "nope") == "no"
    with pytest.raises(AnswerError):
        read_one(library, "dext.linked", "not found")


@pytest.mark.parametrize("text", ["yeah", "can't find it", "not found", "I can see it"])
def test_an_item_s_presence_in_dext_in_the_usual_forms(text: str, tmp_path: Path) -> None:
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellbeing"]
    code, out, err = invoke(*args, "--answer", f"dext.has.429={text}", "--format", "json")
    assert code in (0, 1, 3), err
    expected = "missing" if text in NO_FORMS else "present"
    assert json.loads(out)["items"][0]["stages"]["dext"] == expected


@pytest.mark.parametrize("text", ["perhaps", "greyed out", "3", "hidden"])
def test_a_refusal_about_an_account_lists_only_what_its_question_accepts(
    text: str, tmp_path: Path
) -> None:
    """An account has no Visible switch in Dext: the sentence that refuses an answer about
    one never offers "greyed out" (which it would then refuse) nor a third number."""
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellbeing"]
    code, _, err = invoke(*args, "--answer", f"dext.has.429={text}")
    assert code == 2
    assert "dext.has.429: Answer one of: Yes; No; or its number, 1 to 2." in err
    assert "greyed" not in err


def test_a_refusal_about_a_tracking_option_offers_its_visible_switch(tmp_path: Path) -> None:
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellington"]
    code, _, err = invoke(*args, "--answer", "dext.has.region-wellington=perhaps")
    assert code == 2
    assert (
        "Answer one of: Yes; No; Yes, but its Visible switch is off (greyed out); or its "
        "number, 1 to 3." in err
    )


def test_a_refused_answer_about_an_item_names_its_file_and_line(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("dext.last_pull: 2 hours ago\ndext.has.429: perhaps\n", encoding="utf-8")
    args = ["diagnose", "--scenario", str(blind(tmp_path)), "--item", "wellbeing"]
    code, _, err = invoke(*args, "--answers", str(answers))
    assert code == 2
    assert f"{answers}:2: dext.has.429: Answer one of: Yes; No; or its number" in err
