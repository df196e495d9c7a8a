"""Complaint cases: classification, case numbers, deadlines, status lifecycle and audit trail."""
