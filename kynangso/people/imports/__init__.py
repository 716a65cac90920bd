"""Bulk import of people and learner accounts from Excel/CSV (issue: people and accounts in bulk)."""
