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
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

test: install
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .

bench: install
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/agreement.py
	$(PY) benchmarks/review.py
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/train.py

clean-venv:
	rm -rf $(VENV)
