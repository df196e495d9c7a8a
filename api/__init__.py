"""FastAPI adapters: the only public door of the product."""
