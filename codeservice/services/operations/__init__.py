"""Running the service: initialising it, its keys, the audit trail and its
anchor, and files handed out once."""
