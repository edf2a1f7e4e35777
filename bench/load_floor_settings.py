"""Settings for the server `bench/load.py` measures: the product's settings, plus the HTTP floor.

Only the load test uses this module (it puts `bench/` on the server's PYTHONPATH and sets
DJANGO_SETTINGS_MODULE=load_floor_settings); production never loads it, so the floor's URLs
exist only on a server started for the benchmark.
"""

from socialdesk.settings import *  # noqa: F401,F403

ROOT_URLCONF = "load_floor_urls"
