"""The keys of a screen, read from its bindings (so help can never drift from what the keys
do): the screen's own, the focused widget's, and the app's."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import ActiveBinding
from textual.keys import format_key, key_to_character
from textual.screen import Screen
from textual.widgets import Input, TextArea

# Textual's own widgets describe their keys for programmers ("Cursor down", "Submit"), or not
# at all; these are the ones worth a line in help, in plain words. Their editing keys (inside a
# text field) are not listed: they are the usual ones.
STOCK_WORDS = {
    "cursor_down": "Next row",
    "cursor_up": "Previous row",
    "scroll_down": "Scroll down",
    "scroll_up": "Scroll up",
    "page_down": "Page down",
    "page_up": "Page up",
    "scroll_top": "First row",
    "scroll_bottom": "Last row",
    "submit": "Search, or pick",
    "select_cursor": "Open the item's story",
    "select": "Open the highlighted one",
    "app.focus_next": "Next field",
    "app.focus_previous": "Previous field",
    "command_palette": "Every command, searchable",
    "quit": "Quit",
}
# Actions Textual binds that would only confuse in help (or are said otherwise).
SKIPPED = {"help_quit", "screen.copy_text", "cursor_left", "cursor_right", "scroll_home",
           "scroll_end", "page_left", "page_right"}  # fmt: skip


@dataclass(frozen=True)
class KeyRow:
    keys: str  # as shown: "j / ↓"
    does: str
    where: str  # "here" (the screen and its focused widget) or "anywhere" (the app)


def key_rows(screen: Screen[object]) -> list[KeyRow]:
    """Every key that works on `screen` now, once per action, with what it does: the keys of
    one action together ("j / ↓  Next row")."""
    app = screen.app
    by_action: dict[tuple[str, str], list[str]] = {}
    words: dict[tuple[str, str], str] = {}
    ranks: dict[tuple[str, str], int] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        action = binding.action
        if action in SKIPPED or (not binding.description and action not in STOCK_WORDS):
            continue
        ours = type(active.node).__module__.startswith("troubleshooter.")
        if not ours and action not in STOCK_WORDS:
            continue  # a stock widget's key without plain words: its usual meaning
        where = "anywhere" if active.node is app else "here"
        rank = 2 if active.node is app else (0 if active.node is screen else 1)
        does = STOCK_WORDS.get(action) or binding.tooltip or binding.description
        group = (where, action)
        by_action.setdefault(group, []).append(app.get_key_display(binding))
        words.setdefault(group, does)
        ranks.setdefault(group, rank)
    # The screen's own keys first, then the focused widget's, then the app's.
    ordered = sorted(by_action.items(), key=lambda entry: ranks[entry[0]])
    return [
        KeyRow(" / ".join(dict.fromkeys(keys)), words[group], group[0]) for group, keys in ordered
    ]


def typed(key: str) -> bool:
    """Whether `key` types a character (a, /, ?, space): in a text field it is text."""
    character = key_to_character(key)
    if character is not None and character.isprintable():
        return True
    shown = format_key(key)
    return len(shown) == 1 and shown.isprintable()


class KeyedScreen(Screen[None]):
    """A screen whose footer and help offer the keys that work at the moment: while a text
    field has the focus, a letter is text, not a command, so its key is not offered."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        if not isinstance(self.focused, (Input, TextArea)):
            return bindings
        return {key: active for key, active in bindings.items() if not typed(key)}


def settle_focus(screen: Screen[object]) -> None:
    """Gives the focus to the screen's first field (its AUTO_FOCUS) if nothing has it. Textual
    does so only while the app has the focus; in a browser the page gives the app the focus a
    moment after its first screen is up, and the field would be left without it (typing went
    nowhere until a click)."""
    if screen.focused is not None or not screen.AUTO_FOCUS:
        return
    for widget in screen.query(screen.AUTO_FOCUS):
        if widget.focusable:
            screen.set_focus(widget)
            return
