"""Domain core of the bank customer-service assistant (no Rasa, rasa_sdk or FastAPI imports)."""
