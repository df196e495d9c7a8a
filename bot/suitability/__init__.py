"""Suitability: the risk-tolerance questionnaire, scoring into C1–C5 and product matching."""
