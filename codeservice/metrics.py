"""Events counted as they happen (prometheus-client), in the process they happen in.

What the database knows (rotation progress, acknowledgements, the outbox, locks in
force, the scheduler, the audit trail) is read when Prometheus scrapes instead: see
``services.metrics_state`` and ``scheduler.metrics``. With
``PROMETHEUS_MULTIPROC_DIR`` set, the counts of every process sharing that folder are
added up at scrape time. Labels are only ever a result, a route template or a status
class: never a code, token, name or address.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUEST_SECONDS = Histogram(
    "codeservice_http_request_duration_seconds",
    "Web requests by route template and status class.",
    ["route", "class"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_REQUESTS_SHED = Counter(
    "codeservice_http_requests_shed_total",
    "Web requests refused with 503 at once: web_max_in_flight were already in flight.",
)
HELPLINE_CHECKS = Counter(
    "codeservice_helpline_checks_total",
    "Helpline answers checked: pass, fail, or refused (expired, answered, locked, unusable).",
    ["result"],
)
HELPLINE_LOCKS = Counter(
    "codeservice_helpline_locks_total",
    "Providers whose helpline verification was locked after repeated fails.",
)
SIGN_IN_FAILURES = Counter(
    "codeservice_sign_in_failures_total",
    "Staff sign-ins refused: wrong (name or password), locked, or throttled (address).",
    ["result"],
)
SIGN_IN_LOCKOUTS = Counter(
    "codeservice_sign_in_lockouts_total",
    "Names locked (for one address, or everywhere) after too many wrong passwords.",
)

for _result in ("pass", "fail", "refused"):
    HELPLINE_CHECKS.labels(_result)
for _result in ("wrong", "locked", "throttled"):
    SIGN_IN_FAILURES.labels(_result)
