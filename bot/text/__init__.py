"""Chinese text rules shared by every domain, each written once: cleaning and normalisation
(traditional → simplified, full-width → half-width, Chinese numerals), PII detection and masking,
short yes/no replies, mobile numbers (phones), 1–5 ratings (ratings), and Beijing time with the
customers' date format (china_time)."""
