"""Django reads a template tag or variable only on one line: `{% translate "…` broken over two
lines is printed to the page as it is, in every language. Long sentences use
`{% blocktranslate trimmed %}`."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "socialdesk"


def test_no_template_tag_or_variable_spans_lines():
    broken = []
    for path in sorted(ROOT.rglob("templates/**/*")):
        if path.suffix not in (".html", ".txt"):
            continue
        text = path.read_text()
        for opening in re.finditer(r"\{%|\{\{", text):
            closing = text.find("%}" if opening.group() == "{%" else "}}", opening.end())
            newline = text.find("\n", opening.end())
            if closing == -1 or -1 < newline < closing:
                line = text.count("\n", 0, opening.start()) + 1
                broken.append(f"{path.relative_to(ROOT)}:{line}")
    assert not broken, f"Template tags broken over lines (shown as text): {broken}"
