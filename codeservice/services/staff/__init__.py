"""People and machines who use the service: staff accounts, signing in,
API tokens, and naming actors as people know them."""
