"""`check`: the guided check. "What can't you find in Dext?", then one question at a time in plain
words, and the diagnosis with its plan at the end. With nothing connected, Xero's facts are
asked too. In a terminal it prompts; otherwise it reads one answer a line from standard input
(an empty line skips a question), so it can be scripted; `--answers FILE` answers ahead.

The questions and everything said along the way go to stderr; the diagnosis (the result) goes to
stdout, or to `--output`.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Sequence

import click

from troubleshooter.cli.options import (
    AnswerArgs,
    LibraryArgs,
    SourceArgs,
    answer_options,
    library_options,
    output_options,
    source_options,
)
from troubleshooter.cli.output import (
    FetchProgress,
    finish,
    format_for,
    keep_secrets,
    say,
    write_result,
)
from troubleshooter.diagnosis.answers import AnswerError, as_meant
from troubleshooter.diagnosis.diagnose import exit_code_for
from troubleshooter.diagnosis.search import search_items
from troubleshooter.errors import ConfigError, ExitCode
from troubleshooter.infra import aio
from troubleshooter.model import Diagnosis, ItemTrace, OrganisationRef, Question
from troubleshooter.report import export
from troubleshooter.runs.answerstore import Owner, keep, offer
from troubleshooter.runs.answerstore import default_store as kept_answers
from troubleshooter.runs.check import NOT_IN_XERO, GuidedCheck
from troubleshooter.runs.source import Reading, live_source, read
from troubleshooter.signin.tokens import default_store
from troubleshooter.wording import KINDS, plural, zone_name, zone_of


class _Answers:
    """Where answers come from: a person at a prompt, or lines of standard input."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty()
        self.ended = False

    def ask(self, question: Question, tried_before: bool) -> str | None:
        """The person's answer, or None when there are no more (input ended)."""
        if not tried_before:
            say("")
            say(question.text)
            say(f"  ({question.where})")
            for number, option in enumerate(question.options, start=1):
                say(f"  {number}. {option.says}")
        # A number is the option shown with it: the answer's reader knows.
        return self._read("Your answer (Enter to skip)", shown=False)

    def line(self, prompt: str) -> str:
        """One line of answer to a prompt of the check's own ("" when input ended)."""
        return self._read(prompt, shown=True) or ""

    def _read(self, prompt: str, *, shown: bool) -> str | None:
        """A line from the person at a prompt, or from standard input (echoed, and the prompt
        said first where `shown`); None when input ended."""
        if self.interactive:
            text: str = click.prompt(prompt, default="", show_default=False, err=True)
            return text
        if shown:
            say(prompt)
        line = sys.stdin.readline()
        if not line:
            self.ended = True
            return None
        text = line.rstrip("\n")
        say(f"> {text}")
        return text


def _reading(sources: SourceArgs, focus: str) -> Reading | None:
    """The named organisation, read once; the connected systems when none is named; None when
    nothing is connected at all (Xero's facts are then asked too)."""
    if sources.named():
        [source] = sources.sources()
    else:
        try:
            source = live_source(store=default_store(warn=say))
        except ConfigError:
            say("Nothing is connected: the check asks about Xero too.")
            return None
    connections = source.connections() if source.changes else None
    if connections is not None:
        keep_secrets(connections.secrets())
    return aio.run(read(source, connections=connections, focus=focus, events=FetchProgress()))


@click.command("check")
@click.argument("text", required=False)
@source_options(
    scenario_help="A sandbox scenario file to check against (`troubleshooter help scenarios`)."
)
@answer_options
@library_options
@output_options
@click.option(
    "--every", is_flag=True, help="Ask every open question, not only until the plan is settled."
)
def check(
    text: str | None,
    sources: SourceArgs,
    answers: AnswerArgs,
    library: LibraryArgs,
    fmt: str | None,
    output: str,
    every: bool,
) -> None:
    """A guided check of one item: what can't you find in Dext? One question at a time, then
    what to do, in order."""
    if len(sources.named()) > 1 or sources.count > 1:
        raise click.UsageError("check reads one organisation: name one source")
    prompts = _Answers()
    if not text:
        say("What can't you find in Dext? (a name, part of one, or a code)")
        text = (
            click.prompt("", prompt_suffix="> ", err=True)
            if prompts.interactive
            else sys.stdin.readline().strip()
        )
        if not text:
            raise click.UsageError("say what you cannot find in Dext")
    reading = _reading(sources, text)
    given = dict(answers.load())
    guided = GuidedCheck(text, library.load(), reading, answers=dict(given))
    found = None
    if reading is not None:  # with nothing connected there is no organisation to keep for
        found = offer(reading, guided.library, kept_answers(), given)
        guided.answers = {**found.usable, **guided.answers}
        if found.usable:
            say(f"Using {plural(len(found.usable), 'answer')} kept from before.")
        for note in found.notes:
            say(note[:1].upper() + note[1:] + ".")
    resumed: dict[str, str] = {}
    if reading is None:  # kept under the item asked about, there being no organisation
        resumed = _resume_unconnected(text, guided, given)
    else:
        _which_item(guided, prompts)
    diagnosis = _ask(guided, prompts, every)
    if found is not None and reading is not None:
        new = {k: v for k, v in guided.answers.items() if found.usable.get(k) != v}
        keep(kept_answers(), found, new, reading, guided.library)
    if reading is None:
        _save_unconnected(text, guided, resumed)
    if diagnosis is None:
        say("")
        say(NOT_IN_XERO if guided.not_in_xero else "Not enough was answered to say more.")
        finish(ExitCode.FINDINGS if guided.not_in_xero else ExitCode.INCOMPLETE)
    say("")
    result = export(diagnosis, format_for(fmt, output))
    write_result(result, output)
    finish(exit_code_for(diagnosis))


def _unconnected_owner(text: str) -> Owner:
    """Whose answers, with nothing connected: the item asked about stands in for the
    organisation nobody could read, so the same check finds them again."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "item"
    name = f"“{text.strip()}”, nothing connected"
    return Owner(OrganisationRef(name=name), "check", slug, "guided check")


def _resume_unconnected(text: str, guided: GuidedCheck, given: dict[str, str]) -> dict[str, str]:
    """The answers kept from the last check of the same item with nothing connected, taken up
    again (those given now win); what was taken up."""
    kept = kept_answers().load(_unconnected_owner(text))
    if kept is None:
        return {}
    resumed = {k: v for k, v in kept.answers.items() if k not in given}
    if resumed:
        guided.answers = {**resumed, **guided.answers}
        say(
            f"Using {plural(len(resumed), 'answer')} kept from the last check of "
            f"{shlex.quote(text)}; `troubleshooter answers clear` forgets them."
        )
    return resumed


def _save_unconnected(text: str, guided: GuidedCheck, resumed: dict[str, str]) -> None:
    """With nothing connected there is no organisation to keep the answers under: they are
    kept under the item asked about (`answers list` shows them, the next check of the same item
    starts from them), and the person is told how to start from them elsewhere too."""
    if not guided.answers:
        return
    # Times as the moments they meant, read in this machine's zone (no organisation's is known).
    zone = zone_of(None)
    fixed = as_meant(guided.answers, guided.library.rules.questions, guided.now, zone)
    typed = {k: v for k, v in guided.answers.items() if resumed.get(k) != v}
    try:
        kept_answers().save(_unconnected_owner(text), fixed, typed, timezone=zone_name(zone))
    except (ConfigError, OSError) as exc:
        say(f"Your answers could not be kept ({exc}).")
        return
    say(
        f"Your answers are kept: the next `troubleshooter check {shlex.quote(text)}` starts "
        "from them; `troubleshooter answers list` shows them."
    )


def _which_item(guided: GuidedCheck, prompts: _Answers) -> None:
    """Settles which item the person means before asking about it: a name that matches nothing
    offers the nearest names (or another try), one that matches several asks which (or all of
    them). Giving up on a name that matches nothing is the error it always was."""
    while True:
        try:
            found = guided.diagnosis()
        except ConfigError as exc:
            close = guided.closest_names()
            say("")
            say(f"Nothing called “{guided.text}” is in Xero, ApprovalMax or Dext.")
            say(
                "  (Check that it is the right organisation, and that the item was saved in "
                "Xero. Type another name, or Enter to stop.)"
            )
            for number, name in enumerate(close, start=1):
                say(f"  {number}. {name}")
            picked = prompts.line("Did you mean one of these?" if close else "Another name?")
            if not picked:
                raise exc from None
            guided.text = _picked(picked, close)
            continue
        matches = found.items if found is not None else []
        if 2 <= len(matches) <= MAX_TO_CHOOSE:
            _which_of(guided, prompts, matches)
        return


def _which_of(guided: GuidedCheck, prompts: _Answers, matches: Sequence[ItemTrace]) -> None:
    """Which of several matches is meant: its number, or (part of) its name; Enter, or the
    end of the answers, means all of them. Anything else is asked again."""
    while True:
        say("")
        say(f"“{guided.text}” matches {plural(len(matches), 'item')}: which one?")
        for number, trace in enumerate(matches, start=1):
            say(f"  {number}. {KINDS[trace.kind].one} {trace.label}{_code(trace.code)}")
        picked = prompts.line("Its number or its name (Enter: all of them)").strip()
        if not picked:
            return
        chosen = _number(picked, len(matches))
        narrowed = [matches[chosen - 1]] if chosen else search_items(matches, picked)
        if len(narrowed) == 1:
            guided.item = narrowed[0].key
            return
        if narrowed:
            matches = narrowed
            continue
        say("That is none of them: give its number, part of its name, or Enter for all.")


MAX_TO_CHOOSE = 9  # more matches than that: all are diagnosed, as a search of them


def _code(code: str | None) -> str:
    return f" ({code})" if code else ""


def _picked(typed: str, offered: list[str]) -> str:
    """A number picks an offered name; anything else is a new name to look for."""
    text = typed.strip()
    number = _number(text, len(offered))
    return offered[number - 1] if number else text


def _number(text: str, most: int) -> int | None:
    """`text` as one of the numbers 1 to `most` shown beside a list; None if it is not one
    (a name, or digits no list has: "²", "①" and "0099999…" are not numbers here)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        return None
    number = int(text)
    return number if 1 <= number <= most else None


def _ask(guided: GuidedCheck, prompts: _Answers, every: bool) -> Diagnosis | None:
    """Asks until the plan no longer waits on an answer (or every question, with --every),
    the answers end, or the person skips all that is left."""
    diagnosis = guided.diagnosis()
    tried: str | None = None
    while not prompts.ended:
        question = guided.next_question(diagnosis, every=every)
        if question is None:
            break
        answer = prompts.ask(question, tried_before=tried == question.id)
        if answer is None:
            break
        try:
            guided.answer(question, answer)
        except AnswerError as exc:
            say(exc.sentences.get(question.id, str(exc)))
            tried = question.id
            continue
        tried = None
        diagnosis = guided.diagnosis()
    return diagnosis
