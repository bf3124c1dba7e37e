"""The scheduler: the calendar drives the work, so the BMT only watches.

``plan`` says what is due and when (pure), ``jobs`` runs each occurrence once through a
use case, ``lease`` picks the one process that acts, ``runner`` wires it to APScheduler.
"""
