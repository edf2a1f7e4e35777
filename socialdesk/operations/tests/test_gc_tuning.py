"""socialdesk.operations.gc_tuning: the loaded application set aside from the garbage collector
in the long-running processes, configured from the environment. Each case runs in a child
process: freezing is for the life of the process it runs in."""

import os
import subprocess
import sys

import pytest

SCRIPT = """
import gc
from socialdesk.operations import gc_tuning
done = gc_tuning.settle()
print(gc.get_freeze_count(), gc.get_threshold()[0], done["frozen"], done["threshold"])
"""


def _run(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALDESK_GC_")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env={**base, **env}, capture_output=True, text=True
    )


def test_by_default_the_loaded_objects_are_frozen_and_small_rounds_are_fewer():
    out = _run()
    assert out.returncode == 0, out.stderr
    frozen, threshold, said_frozen, said_threshold = map(int, out.stdout.split())
    assert frozen > 1000 and frozen == said_frozen
    assert threshold == said_threshold == 7000


def test_both_can_be_turned_off_or_set():
    out = _run(SOCIALDESK_GC_FREEZE="0", SOCIALDESK_GC_THRESHOLD="0")
    assert out.stdout.split()[:2] == ["0", "700"]
    out = _run(SOCIALDESK_GC_THRESHOLD="20000")
    assert out.stdout.split()[1] == "20000"


@pytest.mark.parametrize(
    "name,value", [("SOCIALDESK_GC_THRESHOLD", "x"), ("SOCIALDESK_GC_FREEZE", "-3")]
)
def test_a_bad_value_is_refused_with_its_name(name, value):
    out = _run(**{name: value})
    assert out.returncode != 0 and name in out.stderr
