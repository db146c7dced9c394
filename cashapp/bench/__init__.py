"""Benchmarks that run the real pipeline on generated, labelled books.

Why a package of its own: a benchmark is neither a unit test (it measures how the pieces
fare together on a realistic morning) nor product code a user runs every day, and keeping
it apart lets the suite guard its numbers without the product depending on it.
"""
