"""Mock-interview coach: ask, grade against hint rubrics, follow up, and keep every session."""

__version__ = "0.1.0"
