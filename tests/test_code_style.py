"""The code is formatted and linted by ruff, with the settings in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def ruff(*args):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "args", [("format", "--check", "."), ("check", "--output-format", "concise", ".")]
)
def test_ruff_is_clean(args):
    result = ruff(*args)
    assert result.returncode == 0, (
        f"ruff {' '.join(args)} found problems; run `.venv/bin/ruff format . && "
        f".venv/bin/ruff check --fix .`:\n{result.stdout}{result.stderr}"
    )
