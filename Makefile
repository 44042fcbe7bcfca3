# Local development entry points. `make` alone prints this help.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY := .venv/bin/python
VENV_STAMP := .venv/.installed
KAFKA_JARS_STAMP := .cache/kafka/.resolved

.PHONY: help venv kafka-jars infra-up infra-down up down run test test-browser lint schemas bench bench-replay bench-latency bench-views prometheus fuzz chaos web-assets chromium

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(VENV_STAMP) web-assets ## create .venv and install the project with dev tools, build the web assets
$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

WEB_ASSETS_STAMP := services/web/static/.built
web-assets: $(WEB_ASSETS_STAMP) ## GOV.UK Frontend (npm, pinned) and the app's own files into services/web/static/
$(WEB_ASSETS_STAMP): services/web/assets/package-lock.json $(wildcard services/web/assets/src/*)
	bash deploy/web.sh assets
	touch $@

chromium: ## install Debian's chromium + chromium-driver when missing (the browser tests' browser)
	bash deploy/chromium.sh install

kafka-jars: $(KAFKA_JARS_STAMP) ## resolve the Kafka broker jars from Maven Central into .cache/
$(KAFKA_JARS_STAMP): deploy/kafka/pom.xml
	bash deploy/kafka.sh jars

# BROKERS=3: a three-node KRaft cluster (19092, 19102, 19112; replication factor 3,
# min.insync.replicas=2). INSTANCES=N: N processes of each service (metrics 9101, 9201, ...).
BROKERS ?= 1
INSTANCES ?= 1
CLUSTER := KAFKA_BROKERS=$(BROKERS)

infra-up: venv kafka-jars ## start PostgreSQL (:15432) and Kafka (:19092; BROKERS=3: a cluster), create the topics
	bash deploy/postgres.sh start
	$(CLUSTER) bash deploy/kafka.sh start
	$(CLUSTER) $(PY) -m deploy.create_topics

infra-down: ## stop Kafka (BROKERS=3: the cluster) and PostgreSQL (data stays in .state/)
	$(CLUSTER) bash deploy/kafka.sh stop
	bash deploy/postgres.sh stop

up: infra-up prometheus web-assets ## infra-up, the five services (INSTANCES=N of each), Prometheus (:19090) and the web app (:18080)
	$(CLUSTER) OUTCOMES_DEV_MODE=$${OUTCOMES_DEV_MODE:-1} bash deploy/services.sh start --instances $(INSTANCES)  # development: no real key needed
	bash deploy/prometheus.sh start
	OUTCOMES_DEV_MODE=$${OUTCOMES_DEV_MODE:-1} bash deploy/web.sh start

down: ## stop the web app, Prometheus and the services, then the infrastructure
	bash deploy/web.sh stop
	bash deploy/prometheus.sh stop
	if [ -f deploy/services.sh ]; then bash deploy/services.sh stop; fi  # every instance
	$(MAKE) --no-print-directory infra-down

ORDER ?= natural
run: venv kafka-jars ## run end to end, check every payment (ORDER=natural|reversed|shuffled, ARGS=...)
	$(PY) -m tools.run --order $(ORDER) $(ARGS)

test: venv kafka-jars prometheus chromium lint ## lint, then every test (they start Kafka and PostgreSQL themselves)
	$(PY) -m pytest -q

test-browser: venv kafka-jars chromium ## every browser test (make test runs a reduced set), screenshots in .state/screenshots/
	BROWSER_TESTS=all $(PY) -m pytest -q -m browser tests/browser

lint: venv ## ruff check, ruff format --check, mypy --strict, import contracts (pyproject.toml)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy schemas services outcomes_cli tools deploy tests bench
	.venv/bin/lint-imports

prometheus: ## install Prometheus + promtool (Debian package) when missing; never its system service
	bash deploy/prometheus.sh install

schemas: venv ## export the JSON Schemas of the event models
	$(PY) -m schemas.export

bench: venv ## processor throughput, batch sizes 1/100/1000 (local PostgreSQL, no Kafka)
	if [ -z "$${DATABASE_URL:-}" ]; then bash deploy/postgres.sh start; fi
	$(PY) -m bench.processor_throughput $(BENCH_ARGS)

bench-views: venv kafka-jars ## read model at scale: 50,000 participants, pages p50/p95 vs plain SQL (BENCH_ARGS)
	if [ -z "$${DATABASE_URL:-}" ]; then bash deploy/postgres.sh start; fi
	if [ -z "$${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then bash deploy/kafka.sh start; fi
	$(PY) -m bench.views_scale $(BENCH_ARGS)

fuzz: venv kafka-jars ## hostile input in a valid feed: all accounted for, payments exact (FUZZ_ARGS)
	$(PY) -m tools.fuzz $(FUZZ_ARGS)

chaos: venv kafka-jars ## kill services, broker, PostgreSQL during a feed (private servers; CHAOS_ARGS)
	$(PY) -m tools.chaos $(CHAOS_ARGS)

bench-replay: venv kafka-jars ## backlog drained by the services vs raw consume->produce; plot (BENCH_ARGS)
	$(PY) -m bench.replay $(BENCH_ARGS)

bench-latency: venv kafka-jars ## steady 200 events/s, p50/p95/p99 to the payment (BENCH_ARGS, --seconds 30)
	$(PY) -m bench.latency $(BENCH_ARGS)
