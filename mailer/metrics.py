"""The dispatcher's own metrics (prometheus-client): how long sends take, how servers answer.

Counted in the process that sends (unless it leaves ``counted`` off: see
``dispatcher.run``); with ``PROMETHEUS_MULTIPROC_DIR`` set, the processes sharing it are
added up at scrape time. Labels never hold an address.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SEND_SECONDS = Histogram(
    "mailer_send_duration_seconds",
    "Time to hand one message to the SMTP server, answered or not.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
SMTP_ANSWERS = Counter(
    "mailer_smtp_answers_total",
    "SMTP servers' answers to messages by class (none: no answer, the connection failed).",
    ["class"],
)
CLASSES = ("2xx", "4xx", "5xx", "none")
for _class in CLASSES:
    SMTP_ANSWERS.labels(_class)


def answer_class(code: int | None) -> str:
    if code is None or not 200 <= code < 600:
        return "none"
    return f"{code // 100}xx"


def observe_send(seconds: float, code: int | None) -> None:
    SEND_SECONDS.observe(seconds)
    SMTP_ANSWERS.labels(answer_class(code)).inc()
