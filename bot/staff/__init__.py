"""Staff accounts (agents, supervisors, analysts), password checks and login sessions."""
