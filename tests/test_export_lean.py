"""The lean JSON export: the same bytes as the model's own serialiser with a redactor, on a
diagnosis full of hostile strings, and the bulk redaction check it rests on."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime

import pytest
from conftest import run
from pydantic import BaseModel

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.redact import Redactor
from troubleshooter.infra.safetext import _JSON_UNSAFE_BYTES, _json_escape, json_visible_bytes
from troubleshooter.model import (
    ArticleRef,
    Assumption,
    Diagnosis,
    Finding,
    Gate,
    ItemKind,
    ItemTrace,
    Mark,
    OrganisationRef,
    PlanStep,
    Provenance,
    Question,
    QuestionOption,
    QuietCause,
    SnapshotInfo,
    Stage,
    StageDetail,
    Summary,
    SystemStatus,
    Traces,
    shown,
)
from troubleshooter.report import (
    _Compiler,
    _export_json_bytes_plain,
    _lean_serializer,
    export_json_bytes,
)
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.scenario import Scenario

SECRET = "s3cr3t-Value-42"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ"

# What a system or a person may put in any string: contact details, tokens, bank numbers, the
# run's own secrets, control, bidi and other characters that are not ASCII, and look-alikes
# that must stay (dates, codes, ids, amounts).
HOSTILE = [
    "kiri@kaimai.example.co.nz",
    "ask KIRI@KAIMAI.EXAMPLE.CO.NZ today",
    "call 021 555 0142",
    "+64 9 555 0100",
    "(09) 555-0100",
    "021\t555\x0b0100",
    "021\u00a0555\u00a00100",
    "٠٢١ ٥٥٥ ٠١٤٢",
    "12-3456-0123456-00",
    "acct 12-3456-0123456-001 paid",
    f"Bearer {TOKEN}",
    "basic dXNlcjpwYXNz",
    f"token={TOKEN}",
    "client_secret: hunter2hunter2",
    "ſecret=abcdefgh",
    "PASSWORD = pw-12345",
    "api_key=KKKKKKKK",
    "xero.client_secret: unknown key",
    f"the key {SECRET} leaked",
    SECRET,
    f"{SECRET[:6]}",
    "\x1b[2Jwiped\x07",
    "right\u202eto left\u2066",
    "line\u2028sep\x85nel\x7f",
    "zero\u200bwidth\ufeff",
    "Café Ōtautahi – “quoted” ‘x’ € ½",
    "2026-11-29T10:00:00Z",
    "Invoice 04242 / 0 555",
    "10000",
    "f3090e04-decd-57bd-a24a-c99c15e19f7d",
    "account:0001dae3-2b7a-5de1-b299-1771f57cb3bd",
    'quote " and \\ backslash',
    "",
    "Plain Name",
]


def hostile(rng: random.Random) -> str:
    parts = rng.sample(HOSTILE, rng.randint(1, 3))
    return rng.choice([" ", ", ", "\n"]).join(parts)


def maybe(rng: random.Random) -> str | None:
    return None if rng.random() < 0.2 else hostile(rng)


def hostile_diagnosis(seed: int, traces: int = 300, compact: bool = False) -> Diagnosis:
    """A diagnosis with a hostile string in every string field, the fields that are not
    redacted too (they must come out as the plain path writes them). `compact`: its items are
    `Traces` whose every other item is made when read, as a whole-organisation run's are."""
    rng = random.Random(seed)
    when = datetime(2026, 11, 29, 10, tzinfo=UTC)
    org = OrganisationRef(id=maybe(rng), name=hostile(rng), short_code=maybe(rng), timezone=None)
    items = []
    for n in range(traces):
        detail = {
            stage: StageDetail(
                name=maybe(rng),
                code=maybe(rng),
                since=when if rng.random() < 0.5 else None,
                provenance=rng.choice([None, *Provenance]),
                confidence=rng.choice([None, 0.5, 1.0]),
                because=maybe(rng),
            )
            for stage in rng.sample(list(Stage), rng.randint(0, 3))
        }
        items.append(
            ItemTrace(
                kind=rng.choice(list(ItemKind)),
                key=hostile(rng) if n % 7 else f"account:{n}",
                code=maybe(rng),
                name=hostile(rng),
                xero_id=maybe(rng),
                parent=maybe(rng),
                status=None,
                stages={stage: rng.choice(list(Mark)) for stage in Stage},
                detail=detail,
                eligible=rng.choice([None, True, False]),
                blocked={Stage.DEXT: hostile(rng)} if rng.random() < 0.3 else {},
                is_supplier=rng.choice([None, True]),
                email=maybe(rng),
                phone=maybe(rng),
                bank_account_number=maybe(rng),
            )
        )
    systems = [
        SystemStatus(
            stage=stage,
            reached=rng.random() < 0.5,
            provenance=Provenance.API,
            error=maybe(rng),
            organisation=org if rng.random() < 0.5 else None,
            kind_errors={ItemKind.SUPPLIER: hostile(rng), ItemKind.ACCOUNT: hostile(rng)},
            answered={hostile(rng): Provenance.ANSWER},
        )
        for stage in Stage
    ]
    diagnosis = Diagnosis(
        generated_at=when,
        organisation=org,
        systems=systems,
        items=items,
        findings=[
            Finding(
                rule=hostile(rng),
                action=hostile(rng),
                kind=ItemKind.SUPPLIER,
                key=maybe(rng),
                name=maybe(rng),
                article=hostile(rng),
                message=hostile(rng),
                then=[hostile(rng)],
            )
            for _ in range(5)
        ],
        plan=[
            PlanStep(
                order=1,
                action=hostile(rng),
                title=hostile(rng),
                instructions=[hostile(rng), hostile(rng)],
                items=[hostile(rng) for _ in range(4)],
                expected_note=maybe(rng),
                gate=Gate(
                    question=hostile(rng),
                    check=hostile(rng),
                    answers=[hostile(rng)],
                    reading=hostile(rng),
                ),
            )
        ],
        questions=[
            Question(
                id=hostile(rng),
                text=hostile(rng),
                where=hostile(rng),
                type="choice",
                choices=[hostile(rng)],
                options=[
                    QuestionOption(value=hostile(rng), says=hostile(rng), words=[hostile(rng)])
                ],
                sets=hostile(rng),
                key=maybe(rng),
                checks=maybe(rng),
            )
        ],
        assumptions=[
            Assumption(fact=hostile(rng), value=hostile(rng), text=hostile(rng), key=maybe(rng))
        ],
        summary=Summary(
            items=traces,
            healthy=0,
            with_findings=0,
            findings=5,
            not_expected_downstream=0,
            quiet=[QuietCause(rule=hostile(rng), title=hostile(rng), count=2)],
        ),
        focus=maybe(rng),
        articles=[ArticleRef(id=hostile(rng), title=hostile(rng), excerpt=hostile(rng), link=None)],
        snapshot=SnapshotInfo(
            collected_at=when, tool_version="1", source=maybe(rng), diagnosed_at=when
        ),
    )
    if compact:
        rows = [(trace,) if n % 2 else trace for n, trace in enumerate(items)]
        diagnosis.items = Traces(
            rows, make=lambda row: row[0], describe=lambda row: (row[0].kind, None, "")
        )
    return diagnosis


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("contact_details", [False, True])
@pytest.mark.parametrize("secrets", [(), (SECRET, TOKEN)])
def test_the_lean_export_writes_the_plain_exports_bytes(
    seed: int, contact_details: bool, secrets: tuple[str, ...]
) -> None:
    diagnosis = hostile_diagnosis(seed, compact=seed == 3)
    before = diagnosis.model_dump_json()
    options = {"secrets": secrets, "contact_details": contact_details}
    lean = export_json_bytes(diagnosis, **options)  # type: ignore[arg-type]
    assert lean == _export_json_bytes_plain(diagnosis, **options)  # type: ignore[arg-type]
    assert diagnosis.model_dump_json() == before  # the diagnosis keeps what it holds
    # The fields that are redacted are (the others, rule ids and the like, never were).
    shown = [
        text
        for item in json.loads(lean)["items"]
        for text in (
            item["name"],
            item["key"],
            item["code"] or "",
            *(d["name"] or "" for d in item["detail"].values()),
        )
    ]
    assert shown and all("0123456" not in text and "KKKKKKKK" not in text for text in shown)
    if secrets:
        assert all(SECRET not in text and TOKEN not in text for text in shown)
    if not contact_details:
        assert all("kaimai" not in text.lower() and "555 0142" not in text for text in shown)
    assert b"\xe2\x80\xae" not in lean  # written as \u202e


def test_the_lean_export_of_a_diagnosed_scenario_is_the_plain_one(
    demo: Scenario, library: Library
) -> None:
    diagnosis = run(Sandbox(demo), library)
    assert isinstance(diagnosis.items, Traces) and any(diagnosis.items.rows())  # some compact
    assert export_json_bytes(diagnosis) == _export_json_bytes_plain(diagnosis)


def test_the_lean_serialiser_leaves_redaction_to_the_walk_before_it() -> None:
    """The speed of the lean export is that its serialiser makes no call per shown string; if
    pydantic took the models' own serialisers instead, the output would still be right (they
    redact), only slow. This says it does not: the twin writes a shown string as it is, and the
    walk before it finds that string."""
    diagnosis = hostile_diagnosis(4, traces=3)
    diagnosis.items[0].name = "kiri@kaimai.example.co.nz"
    lean = _lean_serializer()
    assert lean is not None, "the compiler gave up on the diagnosis's schema"
    plan, serializer = lean
    raw = serializer.to_json(diagnosis, context={"redactor": Redactor()})
    assert b'"name":"kiri@kaimai.example.co.nz"' in raw
    texts: list[str] = []
    plan.gather(diagnosis, texts)
    assert "kiri@kaimai.example.co.nz" in texts and diagnosis.findings[0].message in texts
    exported = json.loads(export_json_bytes(diagnosis))
    assert exported["items"][0]["name"] == "[email removed]"


class _Inner(BaseModel):
    name: str

    _redacted = shown("name")


class _Beside(BaseModel):
    other: str


class _Mixed(BaseModel):
    """`_Inner` in a list (a place the compiler follows) and in a union (one it does not)."""

    listed: list[_Inner]
    either: _Inner | _Beside


class _Listed(BaseModel):
    listed: list[_Inner]


def test_a_model_the_compiler_cannot_follow_keeps_the_plain_export() -> None:
    """A model under a union shares its schema with the places the compiler does follow; taking
    its `shown` serialisers out there would let the union's strings out unredacted. So the
    compiler gives up, and the export is the plain one."""
    compiler = _Compiler()
    compiler.reach(copy.deepcopy(_Mixed.__pydantic_core_schema__))
    assert compiler.unknown
    for model in (_Listed, Diagnosis):  # without the union: followed
        followed = _Compiler()
        followed.reach(copy.deepcopy(model.__pydantic_core_schema__))
        assert not followed.unknown, model.__name__


def _strings(rng: random.Random, alphabet: str, pieces: list[str]) -> list[str]:
    return [
        "".join(
            rng.choice(pieces) if rng.random() < 0.35 else rng.choice(alphabet)
            for _ in range(rng.randint(0, 14))
        )
        for _ in range(20_000)
    ]


@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize("contact_details", [False, True])
def test_changes_finds_exactly_what_text_changes(ascii_only: bool, contact_details: bool) -> None:
    rng = random.Random(7)
    pieces = [p for p in HOSTILE if p.isascii() or not ascii_only] + [
        "0", "00", "04", "555", "0100", "-", ".", "(", ")", "+", "@", "eyJ", "TOKEN", "_key",
    ]  # fmt: skip
    texts = _strings(rng, "0123456789 -.+()abcXYZ@_=:\t\n/#\x00\x1c", pieces)
    redactor = Redactor(secrets=[SECRET, "555 01", "0100"], contact_details=contact_details)
    expected = {t: redactor.text(t) for t in texts if redactor.text(t) != t}
    assert expected  # the strings do hold things to redact
    assert redactor.changes(texts) == expected


def test_json_visible_bytes_is_the_expressions_substitution() -> None:
    rng = random.Random(3)
    alphabet = "a\x7f\x80\x9f\u00a3\u00e9\u061c\u0628\u200e\u202e\u2013\u2028\u2066\u2069\u00c2"
    for _ in range(2_000):
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))).encode("utf-8")
        assert json_visible_bytes(data) == _JSON_UNSAFE_BYTES.sub(_json_escape, data)
    arabic = ("\u0628" * 100_001 + "\u202e").encode("utf-8")
    assert json_visible_bytes(arabic) == _JSON_UNSAFE_BYTES.sub(_json_escape, arabic)
