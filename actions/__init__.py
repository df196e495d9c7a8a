"""rasa_sdk actions: thin adapters from the Rasa tracker to `bot` services, one module per flow."""
