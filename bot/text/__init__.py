"""Chinese text handling: cleaning, normalisation and (later) PII masking."""
