"""Cluster-wide leases: work that must run in one replica at a time (housekeeping)."""
