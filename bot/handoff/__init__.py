"""Handing a conversation to a human agent (the queue itself comes with the handoff feature)."""
