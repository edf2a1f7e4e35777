"""Ingestion (CH6): normalised inbound messages in, conversations out; idempotent."""
