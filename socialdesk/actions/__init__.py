"""The action layer: the only code that changes a conversation or writes its activity log.

One module per family of intents, whoever acts (an agent, the poller, the worker, the scheduler):
`conversation` (what agents do to a conversation: reply, hold, close, tag, assign, merge...),
`escalate` (escalating, one conversation or a cluster), `inbound` (a message arrives: open,
thread, reopen), `deal` (Play Mode: lease, skip, release), `automation` (auto-close, deleted
messages), `triage` (recording triage, an agent's correction), `delivery` (the outbox worker
sending and logging what it sent) and `policy` (the checks every action makes first).

Each action checks, writes, logs and schedules its side effects in one transaction. Views, the
API, tasks and commands call these; the apps below (models, selectors, connectors) never do,
and `tests/test_action_layer.py` fails on a write to `Conversation` or `Activity`
anywhere else.
"""
