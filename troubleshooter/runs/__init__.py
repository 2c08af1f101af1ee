"""What a person runs, over the core: a session in the TUI, a practice over many
organisations, a bundle to attach to a ticket, the rules' own cases. Each is a plain function
or class the command line and the TUI call; none of them knows a view."""
