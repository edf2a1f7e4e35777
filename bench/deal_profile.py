"""Where one Play Mode deal spends its time: statements per deal and time inside them.

Run after bench/dealing.py (it uses the table and the agents that script leaves behind):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialdesk_bench .venv/bin/python bench/deal_profile.py

It deals and closes 300 conversations as one agent and prints the time per cycle, the SQL
statements per cycle (BEGIN/COMMIT not counted) with their mean time, and the dealing query.
The conversations it closes stay closed; bench/dealing.py puts them back at its next run.
"""

import os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
import django; django.setup()
from django.db import connection
from django.contrib.auth import get_user_model
from socialdesk.play.services import deal_next
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import dealable
from socialdesk.conversations.models import Conversation
user = get_user_model().objects.select_related("profile").get(username="bench-agent-000")
queue = Queue.objects.get(slug="twitter-conversations-moderated")
qs = dealable(queue=queue).select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:1]
from django.db import transaction
with transaction.atomic():
    sql, params = qs.query.sql_with_params()
    print(sql % tuple(repr(p) for p in params))
sqls = []
def w(execute, sql, params, many, context):
    t = time.perf_counter()
    try: return execute(sql, params, many, context)
    finally: sqls.append((time.perf_counter() - t, sql[:110]))
N = 300
with connection.execute_wrapper(w):
    t = time.perf_counter()
    for i in range(N):
        c = deal_next(agent=user, queue=queue)
        Conversation.objects.filter(pk=c.pk).update(status="closed", dealt_to=None, lease_expires_at=None)
    tot = time.perf_counter() - t
dbt = sum(x for x, _ in sqls)
print(f"{N} deal+close: {tot/N*1000:.2f} ms each, {len(sqls)/N:.1f} statements each, {dbt/N*1000:.2f} ms in execute (incl. driver)")
from collections import defaultdict
agg = defaultdict(lambda: [0, 0.0])
for x, s in sqls:
    agg[s][0] += 1; agg[s][1] += x
for s, (n, x) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
    print(f"{n/N:4.1f}x {x/n*1000:6.3f} ms  {s}")
