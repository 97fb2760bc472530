# The README commands. Each installs what it needs into .venv itself.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run admin-token reset-data test lint synth bench bench-peers layer deploy system-deps clean

$(PY):
	python3 -m venv $(VENV)

# Runtime only: what the local platform needs (no CDK, no test tools).
$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

# Everything: tests, lint (ruff, mypy, import-linter), the CDK for synth.
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-run

# checkov scans the synthesized template in `make test`. Its own venv: its pins (boto3 1.35, packaging 23)
# would break the project's (docs/decisions.md, "Template scanners").
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed:
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q checkov==3.3.30
	touch $@

# espeak-ng speaks the local text-to-speech (R-TTS-1); installed from Debian when we can.
system-deps:
	@command -v espeak-ng >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) \
	      || echo "warning: could not install espeak-ng; local text-to-speech falls back to a tone"; \
	  else echo "warning: espeak-ng not found; local text-to-speech falls back to a tone"; fi; }

# The local platform keeps its state in .jarchi/ (JARCHI_DATA_DIR moves it): see local/durability.py.
run: $(VENV)/.installed-run system-deps
	$(PY) -m local

# A new token for the local admin account (the platform must be stopped).
admin-token: $(VENV)/.installed-run
	$(PY) -m local admin-token

# Deletes the local platform's data folder: the next `make run` starts empty.
reset-data: $(VENV)/.installed-run
	$(PY) -m local reset-data

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/core/python/jarchi functions local infra
	$(VENV)/bin/lint-imports

test: $(VENV)/.installed-dev $(CHECKOV_VENV)/.installed system-deps lint
	CHECKOV=$(abspath $(CHECKOV_VENV))/bin/checkov $(VENV)/bin/pytest -n 2 --dist loadfile

synth: $(VENV)/.installed-dev
	$(PY) -m infra.app

# Every benchmark in bench/ (the Jasmin peer's included); exits non-zero when a target is missed.
bench: $(VENV)/.installed-dev
	$(PY) -m bench

# A service SMS campaign and the Jasmin gateway (../shared/peers/jasmin, set up by its setup.sh) in one sitting.
bench-peers: $(VENV)/.installed-dev
	$(PY) -m bench jasmin_peer

# The dependencies Lambda layer for the cloud (Python 3.12, arm64), from wheels: no Docker.
layer: $(VENV)/.installed-dev
	rm -rf build/deps-layer && mkdir -p build/deps-layer/python
	$(PY) -m pip install -q --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 --implementation cp --python-version 3.12 --only-binary=:all: --target build/deps-layer/python pynamodb==6.1.0 phonenumbers==9.0.43 mutagen==1.48.1 openpyxl==3.1.5 soundfile==0.14.0

# Needs AWS credentials (and a bootstrapped account); synth alone is offline.
deploy: layer
	npx --yes aws-cdk@2.1148.1 deploy

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) cdk.out
