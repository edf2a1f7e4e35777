"""Python's cyclic garbage collector in the long-running processes (web workers, task worker,
scheduler): the application's own objects set aside once it is loaded, and young objects
collected less often.

A Django process holds a few hundred thousand objects once its application is loaded (models,
URL patterns, the API's schemas, translations...). Each time the collector's oldest generation
comes round it walks all of them, and every thread of the process waits meanwhile: four times
in a gunicorn worker's first minute, 0.5-1 s each on a loaded two-core machine, and those were
the slowest `play/next` calls (docs/performance.md, "Latency tails through HTTP"). `gc.freeze()` once the application is loaded moves those
objects out of the collector's sight (they live as long as the process anyway), so a full
collection walks only what was made since; a higher threshold for the youngest generation makes
the small collections fewer (a request makes tens of thousands of short-lived objects).

    SOCIALDESK_GC_FREEZE     1 (default) or 0: set the loaded application aside
    SOCIALDESK_GC_THRESHOLD  allocations between two collections of the youngest generation
                             (default 7000; Python's own is 700); 0 leaves Python's
"""

import gc
import os

DEFAULT_THRESHOLD = 7000


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number from the environment (`default` when unset), or SystemExit naming the
    variable: read at a process's start, where a bad value must stop it (gunicorn's config too)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        floor = "0 or more" if minimum == 0 else f"at least {minimum}"
        raise SystemExit(f"{name} must be {floor}, not {number}")
    return number


def check() -> None:
    """Refuse a bad value at start (SystemExit naming the variable)."""
    env_int("SOCIALDESK_GC_THRESHOLD", DEFAULT_THRESHOLD)
    env_int("SOCIALDESK_GC_FREEZE", 1)


def settle() -> dict:
    """Call once the application is loaded (after `django.setup()` and the first imports), in
    each process: after a fork the child's objects are its own to set aside. Returns what was
    done, for the log."""
    done = {"frozen": 0, "threshold": gc.get_threshold()[0]}
    threshold = env_int("SOCIALDESK_GC_THRESHOLD", DEFAULT_THRESHOLD)
    if env_int("SOCIALDESK_GC_FREEZE", 1):
        gc.collect()  # what is already garbage is not kept for ever
        gc.freeze()
        done["frozen"] = gc.get_freeze_count()
    if threshold:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(threshold, older, oldest)
        done["threshold"] = threshold
    return done
