"""The pure domain: no I/O, no clock (callers pass ``now``)."""
