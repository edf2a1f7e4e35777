"""HTTP API v1 (AP1), documented by OpenAPI at /api/v1/openapi.json."""
