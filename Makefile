# Two commands: `make run` (serve the demo, with its worker) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
STRIPE_PORT ?= 8420

.PHONY: run serve test lint install clean bench bench-scale flask

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# `make run` is development on the embedded default: SQLite, and localstripe standing in for
# Stripe (started here on STRIPE_PORT). For real Stripe: make run STRIPE_API_BASE= STRIPE_…=…
run: export COHORT_ENV ?= development
run: export COHORT_BASE_URL ?= http://$(HOST):$(PORT)
run: export STRIPE_API_BASE ?= http://127.0.0.1:$(STRIPE_PORT)
run: export STRIPE_SECRET_KEY ?= sk_test_localstripe
run: export STRIPE_PUBLISHABLE_KEY ?= pk_test_localstripe
run: export STRIPE_WEBHOOK_SECRET ?= whsec_localstripe_development
# DEMO VALUE, not a real account: set SELLER_BANK_DETAILS to the seller's own (see README).
run: export SELLER_BANK_DETAILS ?= DEMO ONLY - not a real account | Account holder: The Sociocracy Consulting Group | Bank: Example Bank, 1 Main St, Anytown, CA | Routing (ABA): 000000000 | Account: 000123456789 | SWIFT: EXAMUS00XXX
run: $(STAMP)
	mkdir -p instance
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app cohort seed-demo
	@if [ -n "$$STRIPE_API_BASE" ]; then \
	  if ! $(BIN)/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$$STRIPE_API_BASE/js.stripe.com/v3/" 2>/dev/null; then \
	    echo "Starting localstripe on $$STRIPE_API_BASE (log: instance/localstripe.log)"; \
	    nohup $(BIN)/localstripe --port $(STRIPE_PORT) --from-scratch > instance/localstripe.log 2>&1 & \
	    for i in $$(seq 1 30); do $(BIN)/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$$STRIPE_API_BASE/js.stripe.com/v3/" 2>/dev/null && break; sleep 0.5; done; \
	  fi; \
	  $(BIN)/flask --app app cohort stripe-dev-webhook; \
	  echo "Test card: 4242 4242 4242 4242, any future date, any CVC (4000 0025 0000 3155 asks for 3-D Secure)"; \
	fi
	@echo "Cohort is serving on http://$(HOST):$(PORT)  (mail without MAIL_SERVER: http://$(HOST):$(PORT)/dev/mail)"
	@echo "Staff sign in at http://$(HOST):$(PORT)/staff/login  (demo accounts, development only):"
	@echo "  facilitator  evan.miller@example.org      demo-password-evan"
	@echo "  facilitator  sheella.mierson@example.org  demo-password-sheella"
	@echo "  finance      finance@example.org          demo-password-finance"
	@echo "  admin        admin@example.org            demo-password-admin"
	@echo "The worker (mail delivery, the tick every minute) runs beside it and stops with it."
	@$(BIN)/flask --app app cohort worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

# `make serve`: production-like, gunicorn (gunicorn.conf.py) and the worker beside it, stopped
# together. Needs the real settings (README, "Serving for real"): SECRET_KEY, DATABASE_URL, …
serve: export COHORT_ENV ?= production
serve: export HOST := $(HOST)
serve: export PORT := $(PORT)
serve: $(STAMP)
	$(BIN)/flask --app app db upgrade
	@$(BIN)/flask --app app cohort worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn -c gunicorn.conf.py

# `make flask ARGS="users list"`: any `flask --app app` command, in development like `make run`
# (same database, development key, localstripe); ARGS may quote: ARGS='users create a@b.org --name "A B"'.
flask: export COHORT_ENV ?= development
flask: export STRIPE_API_BASE ?= http://127.0.0.1:$(STRIPE_PORT)
flask: export STRIPE_SECRET_KEY ?= sk_test_localstripe
flask: export STRIPE_PUBLISHABLE_KEY ?= pk_test_localstripe
flask: export STRIPE_WEBHOOK_SECRET ?= whsec_localstripe_development
flask: $(STAMP)
	@mkdir -p instance
	$(BIN)/flask --app app $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# `make bench` (README, "Benchmarks"): each figure against a fair floor in the same run: an
# invoice PDF against WeasyPrint alone on the identical HTML (bench/bench_pdf.py), then the
# service under gunicorn on PostgreSQL against a bare Flask-WTF service, with mail on
# (bench/bench_http.py; BENCH_DATABASE_URL, default the tests' server), then the scale curves
# (bench/bench_scale.py, also alone as `make bench-scale`).
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/bench_pdf.py
	$(BIN)/python bench/bench_http.py
	$(BIN)/python bench/bench_scale.py

# `make bench-scale`: staff pages and exports at 1k, 10k and 100k applications (bench/bench_scale.py).
bench-scale: $(STAMP)
	$(BIN)/python bench/bench_scale.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
