"""Brand accounts, their engagement policy (PO2) and the respond-from routing table (PO1)."""
