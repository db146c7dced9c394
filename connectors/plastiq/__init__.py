"""Plastiq receiver exports (CSV) and their payouts."""
