"""Custom Rasa NLU components (imported by Rasa through config.yml; never by bot/)."""
