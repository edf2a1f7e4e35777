"""Platform connectors: the only code that knows a tweet from a review."""
