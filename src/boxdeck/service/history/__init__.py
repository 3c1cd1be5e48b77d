"""What boxdeck remembers of the past: learnt ETAs, the activity of state changes, the request and action
log."""
