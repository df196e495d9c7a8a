"""Developer commands behind `make run` and `make test` (no Rasa import: they drive processes)."""
