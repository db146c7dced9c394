"""Stripe money: the itemized report CSVs (`report`) and the landing files of `cashapp pull
stripe` (`api`), read through one row mapping.
"""
