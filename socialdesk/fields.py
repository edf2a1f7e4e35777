"""Form fields every app's forms share, with the bounds of the database they are checked against.

At the root, below every app, so any app's forms can use them without depending on another app.
"""

from django import forms

# The largest id a row can have (BigAutoField, the project's DEFAULT_AUTO_FIELD). An id outside
# 1..MAX_ID names nothing, and some databases fail on it rather than find nothing.
MAX_ID = 2**63 - 1


def id_field(**kwargs) -> forms.IntegerField:
    """A row's id typed or posted by the browser: a positive integer the database can hold."""
    return forms.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
