"""Fixed-window rate limits counted in the database, so every API replica sees the same counts."""
