"""The core: from three snapshots to a Diagnosis, one way down and with no I/O.

lineage (one trace per item) → facts (what rules may test, named in `vocabulary`) →
conditions, ruleset, evaluate (the rules as data) → plan (ordered steps) → questions (what a
person can settle) → diagnose (the one place a verdict is computed). Answers and pasted lists
come in through `answers`; the engine itself never imports them.
"""
