"""videokit: Danish captions, accessible transcript pages and a website package for short videos."""

__version__ = "0.1.0"
