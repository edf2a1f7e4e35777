"""People and access: roles, signatures and API tokens of the agents."""
