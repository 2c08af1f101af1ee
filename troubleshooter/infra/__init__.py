"""Small shared pieces with no domain in them: files (YAML, JSON, safe writes), clocks and
durations, time zones, safe text, redaction, running coroutines, the garbage collector's pause,
where the bundled data lives."""
