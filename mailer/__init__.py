"""A generic, durable outbox and SMTP dispatcher.

It knows nothing of access codes: callers hand it finished messages to queue
(``outbox.enqueue``, inside their own transaction), a sealer keeps the bodies unreadable
in the database, and ``dispatcher.run`` sends them over SMTP, at least once each.
``capture`` is a development SMTP server that keeps what it receives in a Maildir.
"""
