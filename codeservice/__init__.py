"""codeservice: secure monthly distribution of Provider Direct access codes."""

__version__ = "0.1.0"
