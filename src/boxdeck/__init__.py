"""boxdeck: a live terminal dashboard for cloud dev sandboxes (Amika) and devboxes (Latitude)."""

__version__ = "0.1.0"
