"""Local simulators of the social platforms' HTTP APIs, used by the demo and the tests."""
