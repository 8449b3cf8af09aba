# Two commands: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export COHORT_ENV ?= development

.PHONY: run test lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app cohort seed-demo
	@echo "Cohort is serving on http://$(HOST):$(PORT)  (mail without MAIL_SERVER: http://$(HOST):$(PORT)/dev/mail)"
	@echo "Staff sign in at http://$(HOST):$(PORT)/staff/login  (demo accounts, development only):"
	@echo "  facilitator  evan.miller@example.org      demo-password-evan"
	@echo "  facilitator  sheella.mierson@example.org  demo-password-sheella"
	@echo "  finance      finance@example.org          demo-password-finance"
	@echo "  admin        admin@example.org            demo-password-admin"
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
