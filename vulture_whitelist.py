"""What vulture (dead code) reports but is used, each with its reason; `vulture` reads this file
with the package, the tests and the benchmarks (pyproject.toml's [tool.vulture]).

Names only: vulture matches a name wherever it is defined, so an entry covers that name
everywhere. Keep an entry only while its reason holds.
"""

# Enum members named by their values in files and payloads, never in the code.
_.CONNECTION  # plan.Phase: `phase: connection` in actions.yaml
_.WAIT  # plan.Phase: `phase: wait` in actions.yaml
_.DELETED  # model.Status: Xero's status values
_.PENDING  # model.Status
_.GDPRREQUEST  # model.Status
_.INFO  # model.Severity: `severity: info` in rules files

# Fields of the JSON contract and of files the tool writes and reads (pydantic models): written
# out by serialisation, read by people and by other programs.
_.account_type  # model.Item: Xero's account type, kept in snapshots and bundles
_.unknown_kinds  # model.SystemStatus, in the JSON report
_.item_counts  # model.SystemStatus, in the JSON report
_.schema_version  # model.Diagnosis and runs.practice.PracticeSummary, in the JSON
_.bundle_version  # runs.bundle.Bundle: the bundle format's version
_.redaction  # runs.bundle.Bundle: tells the reader of a bundle what was removed
_.token_type  # signin.tokens: the token endpoint's answer, kept as given
_.saved_at  # runs.answerstore: when the answers were kept, in their file

# Read by the Jinja2 templates (report/templates), which vulture does not see.
_.without_findings  # report.view: the HTML report's "N without findings"
_.article_title  # report.view: a finding's article, in Markdown and HTML
_.article_link  # report.view
_.marks_legend  # report.view
_.without_findings_text  # report.view (report.html.j2)
_.hidden_text  # report.view (report.md.j2)

# Set by our code, read by the frameworks.
_.handle_async_request  # httpx: a transport's entry point (sandbox/connect.SandboxTransport)
_.should_exit  # uvicorn.Server: tests stop the served sandbox with it
_.cursor_blink  # Textual: tests turn it off for stable snapshots
_.app_focus  # Textual: tests play a browser giving the app the focus
_._last_focused_on_app_blur  # Textual: tests play the start, nothing focused yet
_.model_post_init  # pydantic: called after validation (model.Item)
_._every_item  # pydantic: the items field's serialiser (model.Diagnosis)

# Not used yet: parsed, counted or written and never read. Listed for their owners to use or
# remove (nothing else here is dead).
_.app_minute_remaining  # sources.http: from X-AppMinLimit-Remaining
_.requests_made  # sources.http.HttpClient
_.waited  # sources.ratelimit
_.redact_text  # infra.redact
_.mark_words  # wording
_.stage_title  # wording
_.me  # tests/conftest.py Cycle: the reference that makes the cycle the collector must free
