"""Rasa input channels (loaded by Rasa from credentials.yml; not part of the trained model)."""
