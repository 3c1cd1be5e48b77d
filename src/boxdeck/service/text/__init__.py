"""Text safety: server text made safe for a terminal, secrets masked, times written short."""
