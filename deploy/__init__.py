"""Local infrastructure: Kafka and PostgreSQL scripts, topic creation."""
