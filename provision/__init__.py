"""provision: provision and audit school security systems as code."""

__version__ = "0.1.0"
