# Two commands set up everything on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test install lint bench clean-venv

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/honeybee init --demo
	$(VENV)/bin/streamlit run serve.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

test: install
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: install
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/agreement.py
	$(PY) benchmarks/review.py
	$(PY) benchmarks/bulk_decide.py
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/train.py
	$(PY) benchmarks/matsci_nlp.py
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/threads.py
	$(PY) benchmarks/evaluate.py

clean-venv:
	rm -rf $(VENV)
