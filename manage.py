#!/usr/bin/env python
"""Django's manage.py, kept for habit; `socialdesk` does the same."""

from socialdesk.cli import main

if __name__ == "__main__":
    main()
