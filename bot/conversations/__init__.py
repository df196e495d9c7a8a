"""Customer conversations: access tokens and the delivery log of every message."""
