"""The Textual UI. Only this package (and the CLI that starts it) imports Textual."""
