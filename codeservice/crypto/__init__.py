"""Keys and sealing. The master keys live in a file outside the database."""
