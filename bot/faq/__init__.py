"""Frequently asked questions: the topic catalog, follow-ups in context, ambiguity."""
