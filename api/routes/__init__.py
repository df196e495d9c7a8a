"""Routes grouped by audience."""
