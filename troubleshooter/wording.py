"""Every word a person reads about states, kinds, times and provenance, written once for the
text, Markdown, HTML and TUI views and the rules' messages. (A placeholder for now: the layer
exists, and the import contracts place it, before its contents move here.)"""
