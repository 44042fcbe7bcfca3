"""Prometheus metrics shared by the services.

Conventions: base units (seconds, records; money in integer pence, the platform's unit),
counters end in ``_total``, and labels never carry ids (service, topic, reason, contract,
milestone kind: small, fixed sets). Gauges of state (lag, held, outbox) are refreshed
every few seconds by ``services.common.observe``.
"""

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
OUTBOX_OLDEST_AGE = Gauge(
    "outcomes_outbox_oldest_age_seconds",
    "Age of the oldest event in the outbox not yet published (0 when empty)",
    ["service"],
)
HELD_PENDING = Gauge("outcomes_held_pending_events", "Events currently on hold", ["service"])
CONSUMER_LAG = Gauge(
    "outcomes_consumer_lag_records",
    "Records on the service's input topic not yet committed by its consumer group"
    " (high watermark - committed offset, summed over the assigned partitions)",
    ["service", "topic"],
)
SERVICE_READY = Gauge(
    "outcomes_service_ready",
    "1 while the service can work: runtime up, input topics present and assigned",
    ["service"],
)
LOOP_STALL = Histogram(
    "outcomes_event_loop_stall_seconds",
    "How late the event loop ran a 0.2 s timer (time nothing else could run)",
    ["service"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
RETRIES = Counter(
    "outcomes_batch_retries_total", "Batches retried after a transient error", ["service"]
)
FENCED = Counter(
    "outcomes_fenced_transactions_total",
    "Processing transactions rolled back: their partitions had a new owner (a stale"
    " instance after a rebalance)",
    ["service"],
)
RELAY_FAILURES = Counter(
    "outcomes_relay_failures_total",
    "Outbox relay rounds that failed to publish (retried)",
    ["service"],
)
OUTBOX_DEAD_LETTERS = Counter(
    "outcomes_outbox_dead_letters_total",
    "Outbox rows the broker refused permanently, moved to the dead-letter table",
    ["service"],
)
MILESTONES = Counter(
    "outcomes_milestones_total",
    "Milestone decisions published (change: reached or revoked)",
    ["service", "contract", "kind", "change"],
)
PAYMENTS = Counter(
    "outcomes_payments_total",
    "Provider payments published (kind: payment or reversal)",
    ["service", "contract", "kind"],
)
PAYMENTS_PENCE = Counter(
    "outcomes_payments_pence_total",
    "Pence of the provider payments published (reversals counted as positive amounts"
    " under kind=reversal)",
    ["service", "contract", "kind"],
)
MILESTONES_NOT_PAID = Counter(
    "outcomes_milestones_not_paid_total",
    "Milestones that by rule produce no payment, by reason",
    ["service", "contract", "reason"],
)
PAYMENT_LATENCY = Histogram(
    "outcomes_payment_latency_seconds",
    "From the produced_at of the provider event that caused a milestone to its payment",
    ["contract"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)


def serve_metrics(port: int, host: str) -> None:
    start_http_server(port, addr=host)
