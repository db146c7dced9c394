"""The exception queue as a service: what a specialist and an AR lead do to it, and read.

Why a package of its own: the CLI today and the web workbench later render the same
results of the same functions, so every rule about the queue -- who may act, which
amounts are valid, what an action writes, when it needs a second person -- lives here
once. The actions (:mod:`cashapp.queue.actions`, :mod:`cashapp.queue.workflow`,
:mod:`cashapp.queue.reversal`) each run in one transaction through
:mod:`cashapp.queue.framework`; their applications and exception changes are written
only by :mod:`cashapp.matching.decisions`, the writer the matcher uses too.
"""
