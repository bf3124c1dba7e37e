"""Use cases. Each takes the container (or what it needs from it) and is idempotent."""
