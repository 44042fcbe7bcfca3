"""Prometheus metrics shared by the services (all durations in seconds)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

EVENTS_CONSUMED = Counter(
    "outcomes_events_consumed_total", "Kafka records consumed", ["service", "topic"]
)
EVENTS_PRODUCED = Counter(
    "outcomes_events_produced_total", "Events published from the outbox", ["service", "topic"]
)
EVENTS_REJECTED = Counter(
    "outcomes_events_rejected_total", "Inputs rejected, by reason", ["service", "topic", "reason"]
)
EVENTS_DUPLICATE = Counter(
    "outcomes_events_duplicate_total", "Inputs skipped as already processed", ["service", "topic"]
)
EVENTS_HELD = Counter(
    "outcomes_events_held_total", "Inputs held until what they refer to arrives", ["service"]
)
BATCH_SECONDS = Histogram(
    "outcomes_batch_processing_seconds",
    "Time to process one consumed batch in one database transaction",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "outcomes_batch_size_events",
    "Records per processed batch",
    ["service"],
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500),
)
OUTBOX_PENDING = Gauge(
    "outcomes_outbox_pending_events", "Events in the outbox not yet published", ["service"]
)
HELD_PENDING = Gauge("outcomes_held_pending_events", "Events currently on hold", ["service"])
SERVICE_READY = Gauge(
    "outcomes_service_ready", "1 once the service has its database pool and producer", ["service"]
)
RETRIES = Counter(
    "outcomes_batch_retries_total", "Batches retried after a transient error", ["service"]
)

PAYMENT_LATENCY = Histogram(
    "outcomes_payment_latency_seconds",
    "From the provider event behind a milestone (its produced_at) to the payment issued",
    ["contract"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)


def serve_metrics(port: int, host: str) -> None:
    start_http_server(port, addr=host)
