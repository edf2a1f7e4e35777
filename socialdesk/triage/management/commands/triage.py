"""`socialdesk triage FILE`: classify JSON lines, one result line per input line, for evaluation and batch use.

Input lines: {"id": …, "text": …, "author": {"followers": …, "verified": …}} (author optional;
optional too: "stars" 1–5 for a review, "context" the conversation's earlier messages' texts).
Output lines: id; type, language and sentiment, each with its confidence and band ("confident": at
or above the act threshold, what ingestion would act on; "unsure": only a suggestion); tags (what
ingestion would add), suggested_tags (rules keyed on an unsure type or language), signals;
a bad line gives {"line": n, "id": … if known, "error": "…"} and the rest is still processed.
The classification is the one ingestion runs (socialdesk.triage.classify.classify_batch),
with the tag rules, paid products and topics from the database when it has them.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.utils import DatabaseError

from socialdesk.triage.classify import TriageConfig, TriageInput, classify_batch

MAX_LINE = 100_000  # characters; a social post is far shorter
BATCH = 500


def parse_line(line: str, n: int) -> tuple[object, TriageInput | None, str]:
    """(id, input, error): exactly one of input and error is set."""
    if len(line) > MAX_LINE:
        return None, None, f"line {n}: longer than {MAX_LINE:,} characters; skipped"
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, None, f"line {n}: not valid JSON ({getattr(exc, 'msg', 'too deeply nested')})"
    if not isinstance(obj, dict):
        return None, None, f'line {n}: expected a JSON object like {{"id": 1, "text": "…"}}'
    id_ = obj.get("id")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        return id_, None, f'line {n}: "text" is missing or not a non-empty string'
    author = obj.get("author") or {}
    if not isinstance(author, dict):
        return id_, None, f'line {n}: "author" must be an object with followers and verified'
    try:
        followers = int(author.get("followers") or 0)
    except (TypeError, ValueError):
        return id_, None, f"line {n}: author.followers must be a whole number"
    if followers < 0:
        return id_, None, f"line {n}: author.followers cannot be negative"
    verified = author.get("verified", False)
    if not isinstance(verified, bool):
        return id_, None, f"line {n}: author.verified must be true or false"
    stars = obj.get("stars")
    if stars is not None and (
        not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5
    ):
        return id_, None, f"line {n}: stars must be a whole number from 1 to 5"
    context = obj.get("context") or []
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        return id_, None, f'line {n}: "context" must be a list of the earlier messages\' texts'
    return (
        id_,
        TriageInput(
            text=text,
            followers=followers,
            verified=verified,
            handle=str(author.get("handle") or ""),
            stars=stars,
            context=tuple(c[:MAX_LINE] for c in context[-5:]),
        ),
        "",
    )


def bounded_lines(source, limit: int = MAX_LINE):
    """Lines of `source`, never holding more than `limit` + 1 characters of one line in memory:
    an over-long line is cut (and reported as too long by parse_line), its rest skipped."""
    while True:
        line = source.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith("\n"):
            while True:
                rest = source.readline(limit)
                if not rest or rest.endswith("\n"):
                    break
        yield line


def run(lines, out, config: TriageConfig) -> tuple[int, int]:
    """Classify `lines` (an iterable of str) and write JSON lines to `out`; returns (ok, errors)."""
    ok = errors = 0
    pending: list[tuple[object, TriageInput]] = []

    def flush():
        nonlocal ok
        for (id_, _), result in zip(
            pending, classify_batch([inp for _, inp in pending], config), strict=True
        ):
            out.write(json.dumps({"id": id_, **result.as_json()}, ensure_ascii=False) + "\n")
            ok += 1
        pending.clear()

    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        id_, inp, error = parse_line(line.rstrip("\n"), n)
        if error:
            flush()  # keep the output in input order
            out.write(
                json.dumps({"line": n, "id": id_, "error": error}, ensure_ascii=False) + "\n"
            )
            errors += 1
            continue
        pending.append((id_, inp))
        if len(pending) >= BATCH:
            flush()
    flush()
    return ok, errors


def config_from_database() -> tuple[TriageConfig, str]:
    from socialdesk.triage.services import load_config

    try:
        config = load_config()
    except DatabaseError:
        return (
            TriageConfig(),
            "the database is not set up (run `socialdesk migrate`); using the built-in defaults without tag rules",
        )
    skipped = "; ".join(
        f"tag rule “{name}” is skipped: {why.rstrip('.')}" for name, why in config.skipped_rules
    )
    return config, skipped


class Command(BaseCommand):
    help = 'Classify JSON lines {"id", "text", "author"?} from FILE (or - for standard input) and write one JSON line per input.'

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON-lines file, or - for standard input")
        parser.add_argument(
            "--defaults",
            action="store_true",
            help="ignore the database's tag rules and lists (for evaluation)",
        )

    def handle(self, *args, file, defaults, **options):
        if defaults:
            config, note = TriageConfig(), ""
        else:
            config, note = config_from_database()
        if note:
            self.stderr.write(f"Note: {note}.")
        if file == "-":
            source = sys.stdin
        else:
            try:
                source = open(file, encoding="utf-8", errors="replace")
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        with source:
            ok, errors = run(bounded_lines(source), self.stdout, config)
        self.stderr.write(f"{ok} classified, {errors} with errors.")
