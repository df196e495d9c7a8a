"""Chinese text rules shared by every domain, each written once, as pure functions: cleaning raw
input (`cleaning`), normalisation before NLU (`normalize`), PII masking and detection of secrets
(`masking`), the yes/no replies of the guided flows (`replies`), mobile numbers (`phones`), 1–5
ratings (`ratings`), and Beijing time with the customers' date format (`china_time`)."""
