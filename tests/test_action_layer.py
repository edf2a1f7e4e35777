"""Conversations and their activity log change only in the action layer (`socialdesk.actions`).

The test reads every module outside the layer and fails on a write it finds there: a model
manager's or queryset's write (`create`, `update`, `bulk_create`, `delete`...) on `Conversation`
or `Activity`, a row of either built to be inserted (`Activity(...)`), a raw statement on their
tables, and `save()`, `delete()` or a tag change on a variable that holds a conversation.

Erasing a person who leaves (`actions/leaving.py`) rewrites their name out of every table, the log
included, inside the layer.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "socialdesk"
LAYER = ROOT / "actions"

MODELS = {"Conversation", "Activity"}
WRITES = {
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
    "save",
    "raw",
    "add",
    "remove",
    "set",
    "clear",
}
# A variable that holds a conversation, by the names the code gives one.
CONVERSATION_VARIABLE = re.compile(r"^(conversation|conversations|c|convo|other|held|new)$")
INSTANCE_WRITES = {"save", "delete"}
RELATED_WRITES = {"tags", "activity", "messages"}
RAW_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE\s|DELETE\s+FROM)", re.IGNORECASE)


def _root_name(node) -> str | None:
    """The name a chain like `Conversation.objects.filter(...).update` starts from."""
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return node.id if isinstance(node, ast.Name) else None


def writes_in(source: str) -> list[tuple[int, str]]:
    """The writes to conversations or the activity log in `source`, as (line, what)."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in MODELS:
                found.append((node.lineno, f"builds a {func.id} row"))
            elif isinstance(func, ast.Attribute):
                root = _root_name(func.value)
                if root in MODELS and func.attr in WRITES:
                    found.append((node.lineno, f"{root} ….{func.attr}()"))
                elif func.attr in INSTANCE_WRITES and _holds_conversation(func.value):
                    found.append((node.lineno, f"saves a conversation with .{func.attr}()"))
                elif (
                    func.attr in WRITES
                    and isinstance(func.value, ast.Attribute)
                    and func.value.attr in RELATED_WRITES
                    and _holds_conversation(func.value.value)
                ):
                    found.append((node.lineno, f"conversation.{func.value.attr}.{func.attr}()"))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # `Conversation._meta.db_table` in a function that writes SQL: a raw write.
            tables = {
                _root_name(n)
                for n in ast.walk(node)
                if isinstance(n, ast.Attribute) and n.attr == "db_table"
            } & MODELS
            sql = " ".join(
                n.value
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
            if tables and RAW_WRITE.search(sql):
                found.append((node.lineno, f"raw SQL writing {', '.join(sorted(tables))}"))
    return found


def _holds_conversation(node) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return bool(name and CONVERSATION_VARIABLE.match(name))


def _outside_the_layer():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_relative_to(LAYER) or "/tests/" in f"/{relative}" or "/migrations/" in relative:
            continue
        yield relative, path


def test_nothing_outside_the_action_layer_writes_a_conversation_or_the_log():
    offenders = [
        f"socialdesk/{relative}:{line}: {what}"
        for relative, path in _outside_the_layer()
        for line, what in writes_in(path.read_text())
    ]
    assert not offenders, (
        "Writes to Conversation or Activity outside socialdesk/actions (add an action there and "
        "call it):\n  " + "\n  ".join(offenders)
    )


def test_the_layer_itself_is_where_the_writes_are():
    """The scan finds the layer's own writes: it would find one anywhere else."""
    found = {
        path.name: writes_in(path.read_text())
        for path in LAYER.glob("*.py")
        if path.name != "__init__.py"
    }
    for module in ("conversation", "escalate", "inbound", "deal", "automation", "delivery"):
        assert found[f"{module}.py"], f"no write found in actions/{module}.py"


def test_entries_written_in_bulk_go_through_write_entries():
    """A bulk insert of activity entries sends no `post_save`, so the webhooks would miss their
    events: inside the layer, `actions/log.write_entries` is the one place that does it (ingestion's
    page insert calls `webhooks.activities_logged` itself, after its raw `INSERT ... RETURNING`)."""
    offenders = [
        f"socialdesk/actions/{path.name}"
        for path in LAYER.glob("*.py")
        if path.name != "log.py" and "Activity.objects.bulk_create" in path.read_text()
    ]
    assert not offenders, "use actions.log.write_entries in: " + ", ".join(offenders)
    inbound = (LAYER / "inbound.py").read_text()
    assert "webhooks.activities_logged(activity)" in inbound


@pytest.mark.parametrize(
    "source",
    [
        "Activity.objects.create(kind='x')",
        "Conversation.objects.filter(pk=1).update(status='closed')",
        "Activity.objects.bulk_create([Activity(kind='x')])",
        "Conversation.tags.through.objects.bulk_create(links)",
        "conversation.save()",
        "c.save(update_fields=['status'])",
        "conversation.tags.add(tag)",
        "entry = Activity(kind='dealt')",
        "def claim():\n    t = Conversation._meta.db_table\n    run(f'UPDATE {t} SET x = 1')",
    ],
)
def test_the_scan_finds_a_write(source):
    assert writes_in(source)


@pytest.mark.parametrize(
    "source",
    [
        "Conversation.objects.filter(status='open').count()",
        "Activity.objects.filter(kind='replied').values('at')",
        "queue.save()",
        "form.save()",
        "def langs():\n    t = Conversation._meta.db_table\n    run(f'SELECT MIN(language) FROM {t}')",
    ],
)
def test_the_scan_lets_reads_through(source):
    assert not writes_in(source)
