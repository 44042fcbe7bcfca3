"""The ``outcomes`` command: provider (validate, publish, rejections, status) and finance
(payments, statement, reconcile) tools. Pure logic lives in modules without I/O so unit
tests reach it; Kafka and PostgreSQL access is in ``kafka_io`` and ``ledger_db``."""
