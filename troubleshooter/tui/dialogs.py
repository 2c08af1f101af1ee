"""The TUI's dialogs: export, help, switching organisation, and the two questions about
answers (leaving typed ones, using kept ones). Esc (or q) closes each without doing anything."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from troubleshooter.errors import TroubleshooterError
from troubleshooter.model import Diagnosis
from troubleshooter.report import FORMATS, default_report_name, export, write_report
from troubleshooter.tui.host import Host
from troubleshooter.tui.keys import KeyRow
from troubleshooter.tui.text import legend, line, literal
from troubleshooter.tui.widgets import tell
from troubleshooter.wording import plural, them

FORMAT_LABELS = {
    "md": "Markdown, for a ticket",
    "html": "HTML, one file to send",
    "json": "JSON, for machines",
    "text": "Plain text",
}
MIME_TYPES = {
    "md": "text/markdown",
    "html": "text/html",
    "json": "application/json",
    "text": "text/plain",
}


T = TypeVar("T")


class Dialog(ModalScreen[T]):
    BINDINGS = [Binding("escape,q", "close", "Close")]

    @property
    def host(self) -> Host:
        assert isinstance(self.app, Host)
        return self.app

    def action_close(self) -> None:
        self.dismiss(None)


class ExportScreen(Dialog[Path | None]):
    """The report in a format. In a terminal it is saved to a file (the path is shown after
    saving); in a browser (`troubleshooter serve`) it is a download, never a path on the
    server."""

    AUTO_FOCUS = "#export-save"

    def __init__(self, diagnosis: Diagnosis, secrets: list[str], folder: Path, web: bool) -> None:
        super().__init__()
        self.diagnosis = diagnosis
        self.secrets = secrets
        self.folder = folder
        self.web = web
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog"):
            yield Label(Text("Export the report", style="bold"))
            yield Select(
                [
                    (Text(FORMAT_LABELS[f]), f)
                    for f in ("md", "html", "json", "text")
                    if f in FORMATS
                ],
                value="md",
                allow_blank=False,
                id="export-format",
            )
            if not self.web:
                yield Input(
                    str(self.folder / default_report_name(self.diagnosis, "md")), id="export-path"
                )
            yield Checkbox("Keep contacts' emails and phone numbers", id="export-contacts")
            yield Static(
                Text("Tokens never leave; bank account numbers keep only their last four digits."),
                classes="where",
            )
            yield Static(Text(""), id="export-result")
            with Horizontal(classes="buttons"):
                label = "Download" if self.web else "Save"
                yield Button(label, variant="primary", id="export-save")
                yield Button("Close", id="export-close")

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        if self.web:
            return
        path_input = self.query_one("#export-path", Input)
        current = Path(path_input.value)
        name = default_report_name(self.diagnosis, str(event.value))
        path_input.value = str(current.parent / (current.stem + Path(name).suffix))

    def _text(self, fmt: str) -> str:
        keep = self.query_one("#export-contacts", Checkbox).value
        return export(self.diagnosis, fmt, secrets=self.secrets, contact_details=keep)

    @on(Button.Pressed, "#export-save")
    def save(self) -> None:
        fmt = str(self.query_one("#export-format", Select).value)
        result = self.query_one("#export-result", Static)
        if self.web:
            name = default_report_name(self.diagnosis, fmt)
            self.app.deliver_text(
                io.StringIO(self._text(fmt)),
                save_filename=name,
                mime_type=MIME_TYPES[fmt],
                encoding="utf-8",
            )
            result.update(Text(f"Downloading {name}", style="green"))
            return
        path = Path(self.query_one("#export-path", Input).value).expanduser()
        try:
            written = write_report(self._text(fmt), path)
        except TroubleshooterError as exc:
            result.update(literal(str(exc), "red"))
            return
        result.update(line((f"Saved to {written}", "green")))
        tell(self, f"Saved to {written}", title="Report exported")
        self.saved = written

    @on(Button.Pressed, "#export-close")
    def close(self) -> None:
        self.dismiss(self.saved)

    def action_close(self) -> None:
        self.dismiss(self.saved)


class HelpScreen(Dialog[None]):
    """Every key of the screen it was opened from (read from the bindings), and the marks."""

    def __init__(self, title: str, rows: list[KeyRow]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Label(Text(f"Keys: {self.title_text}", style="bold"))
            table: DataTable[Text] = DataTable(
                id="help-keys", show_cursor=False, zebra_stripes=True
            )
            yield table
            yield Static(
                Text.assemble(("Marks: ", "bold"), legend(), ". ⚠ marks an item with findings."),
                id="help-marks",
            )
            yield Static(
                Text(
                    "Every fact says where it came from; a fact the tool could not get is "
                    "unknown, never missing, and the questions (a) settle it."
                ),
                id="help-note",
            )
            yield Button("Close", id="help-close")

    def on_mount(self) -> None:
        table = self.query_one("#help-keys", DataTable)
        table.add_column(Text("Key"), key="key")
        table.add_column(Text("Does"), key="does")
        here = [r for r in self.rows if r.where == "here"]
        anywhere = [r for r in self.rows if r.where != "here"]
        for row in here:
            table.add_row(Text(row.keys, style="bold"), Text(row.does))
        if anywhere:
            table.add_row(Text(""), Text("On every screen", style="bold italic"))
            for row in anywhere:
                table.add_row(Text(row.keys, style="bold"), Text(row.does))

    @on(Button.Pressed, "#help-close")
    def close(self) -> None:
        self.dismiss(None)


class OrganisationScreen(Dialog[int | None]):
    """Which organisation to diagnose: the ones given on the command line."""

    AUTO_FOCUS = "#organisations"

    def compose(self) -> ComposeResult:
        session = self.host.session
        with Vertical(id="organisation-dialog", classes="dialog"):
            yield Label(Text("Switch organisation", style="bold"))
            yield OptionList(
                *(
                    Option(
                        line(("● " if i == session.current else "  "), source.label),
                        id=str(i),
                    )
                    for i, source in enumerate(session.sources)
                ),
                id="organisations",
            )
            yield Static(Text("Enter diagnoses it; Esc keeps this one."), classes="where")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = self.host.session.current

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))


class Choice(Dialog[str | None]):
    """A question with a few answers, each a button (Esc: none of them)."""

    def __init__(self, text: Text, choices: list[tuple[str, str]], dialog_id: str) -> None:
        super().__init__()
        self.text = text
        self.choices = choices
        self.dialog_id = dialog_id

    def compose(self) -> ComposeResult:
        with Vertical(id=self.dialog_id, classes="dialog choice"):
            yield Static(self.text)
            with Horizontal(classes="buttons"):
                for index, (label, value) in enumerate(self.choices):
                    yield Button(
                        label, id=f"choice-{value}", variant="primary" if not index else "default"
                    )

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))


def leave_questions(typed: int) -> Choice:
    """Leaving the questions screen with answers typed and not sent."""
    it = them(typed)
    they = "it stays in its field" if typed == 1 else "they stay in their fields"
    text = Text.assemble(
        (f"You typed {plural(typed, 'answer')} and did not send {it}.", "bold"),
        f"\nSend now, keep for later ({they} until you quit), or drop?",
    )
    return Choice(
        text,
        [
            (f"Send {it}", "send"),
            ("Keep for later", "keep"),
            (f"Drop {it}", "drop"),
            ("Stay", "stay"),
        ],
        "leave-dialog",
    )


def quit_with_drafts(typed: int) -> Choice:
    text = Text.assemble(
        (f"{plural(typed, 'typed answer')} not sent yet.", "bold"),
        "\nQuitting loses what was typed and not sent (sent answers are kept).",
    )
    return Choice(text, [("Stay", "stay"), ("Quit anyway", "quit")], "quit-dialog")


def lose_guided_answers(given: int, *, quitting: bool, result: bool) -> Choice:
    """Starting the guided check again (Esc), or quitting it, with answers given: nothing is
    kept when nothing is connected, so they would be lost. Stay is the first choice."""
    doing = "Quitting" if quitting else "Starting again"
    text = Text.assemble(
        (f"You gave {plural(given, 'answer')} in this check.", "bold"),
        f"\n{doing} loses {them(given)}: with nothing connected, nothing is kept.",
    )
    if result:
        text.append(" To keep the result, copy it (y) or export it (e) first.")
    leave = ("Quit anyway", "quit") if quitting else ("Start again", "again")
    return Choice(text, [("Stay", "stay"), leave], "lose-dialog")


def kept_answers(organisation: str, count: int, saved: str | None) -> Choice:
    """Using the answers kept from an earlier run. The organisation's name is data (escaped);
    the program's own line break is a line break."""
    it = them(count)
    text = line(
        (f"{plural(count, 'answer')} kept from last time for ", "bold"),
        (organisation, "bold"),
        (f" (saved {saved})" if saved else ""),
        ".",
    )
    settles = "It settles" if count == 1 else "They settle"
    change = "change it" if count == 1 else "change any of them"
    text.append(f"\nUse {it}? {settles} what the tool cannot see; you can {change}.")
    return Choice(
        text,
        [(f"Use {it}", "use"), ("Not now", "later"), (f"Forget {it}", "forget")],
        "kept-dialog",
    )
