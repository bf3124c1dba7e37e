"""Use cases, one folder per capability; each is idempotent.

* ``distribution`` — the monthly pipeline: issue, send, acknowledge, activate, and
  where a cycle stands.
* ``incidents`` — Annex B reports, their triage, and the immediate reissue.
* ``helpline`` — checking a caller's three characters, locks, exposure, the code list.
* ``staff`` — staff accounts, signing in, API tokens, naming actors.
* ``register`` — the provider register.
* ``operations`` — initialising, keys, the audit trail and its anchor, one-time files.

``link_tokens`` and ``report_links`` serve two of them: making, or loading by its token,
a link of one purpose (the acknowledgement, the incident report form), and the report
link every email 1 carries. The capabilities' packages import each other one way only.
"""
