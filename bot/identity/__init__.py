"""Customer identity passed by the bank's web site and app: HMAC-signed tokens."""
