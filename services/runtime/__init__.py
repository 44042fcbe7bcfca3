"""The runtime core shared by every service and the simulator: how events move.

``rules``: a service's table of event type -> use case; ``batch``: one transaction's
inbox, provider check, hold/release rounds, finish and expiry over a unit of work
(``ports``), with PostgreSQL+Kafka and in-memory adapters.
"""
