"""Play Mode (AG3): deal one conversation to one agent under a lease; skip; stop."""
