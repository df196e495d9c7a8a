"""Chinese text rules shared by every domain, as pure functions: cleaning raw input (`cleaning`),
normalisation before NLU (`normalize`), PII masking and detection of secrets (`masking`), and the
yes/no replies of the guided flows (`replies`)."""
