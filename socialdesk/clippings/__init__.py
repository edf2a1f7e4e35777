"""Clippings: saved replies with placeholders."""
