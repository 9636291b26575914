# The two commands a person needs (see README):
#   make run    install what is missing, provision the Whisper model, caption everything in media/
#   make test   install what the tests need and run the whole suite
# Both are safe to repeat: installed parts are kept (stamp files), finished drafts are cached.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MEDIA ?= media
OUT ?= build
MODEL ?=  # empty: the model in videokit.toml, else base
# Only what apt must provide: ffmpeg (media), espeak-ng (sample narration), a font for title cards,
# tesseract with its Danish data (on-screen text that is shown but not said),
# the Danish Hunspell dictionary (the studio's spell check).
DEBIAN_PACKAGES := ffmpeg espeak-ng fonts-dejavu-core tesseract-ocr tesseract-ocr-dan hunspell-da
DEV_STAMP := $(VENV)/.dev-installed
RUN_STAMP := $(VENV)/.installed

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test team lint bench system-deps clean browser-deps test-services

run: system-deps $(RUN_STAMP)
	$(BIN)/videokit samples --media $(MEDIA) --if-empty
	$(BIN)/videokit models pull $(or $(MODEL),base)
	$(BIN)/videokit produce --media $(MEDIA) --out $(OUT) $(if $(MODEL),--model $(MODEL))

# The team service (README: "For a team"): what `run` installs, then a Prefect server, the work
# pool, the deployments and a worker that stay up. `videokit team down` stops them.
team: system-deps $(RUN_STAMP)
	$(BIN)/videokit models pull $(or $(MODEL),base)
	$(BIN)/videokit team up

test: system-deps $(DEV_STAMP) browser-deps test-services
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src flows tests bench
	$(BIN)/ruff format --check src flows tests bench
	$(BIN)/mypy

bench: system-deps $(DEV_STAMP)
	$(BIN)/python bench/captions.py

# torch is pinned and installed first: unpinned, openai-whisper would pull a multi-GB CUDA build.
# The lock file holds every other package at a tested version; it leaves out triton, which
# openai-whisper asks for on Linux but which only GPU kernels use.
$(RUN_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# Every requirement but triton must be met: a package missing from the lock fails here, not at run time.
	@broken=$$($(BIN)/python -m pip check | grep -v -i -e triton -e "No broken requirements" || true); \
	if [ -n "$$broken" ]; then echo "$$broken"; exit 1; fi
	touch $@

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-dev.lock
	touch $@

system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	fc-list 2>/dev/null | grep -qi "DejaVu Sans" || missing="$$missing fonts-dejavu-core"; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr"; \
	tesseract --list-langs 2>/dev/null | grep -qx dan || missing="$$missing tesseract-ocr-dan"; \
	[ -f /usr/share/hunspell/da_DK.dic ] || missing="$$missing hunspell-da"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing from Debian:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	  else \
	    echo "videokit needs these programs:$$missing"; \
	    echo "install them, e.g.: sudo apt-get install $(DEBIAN_PACKAGES)  (macOS: brew install ffmpeg espeak-ng)"; \
	    exit 1; \
	  fi; \
	fi

# Browser checks (tests/test_browser.py): Chromium and Java from Debian, axe-core, vnu-jar and
# playwright-core from npm at the versions in tests/browser/package-lock.json. npm ci runs only when
# node_modules is missing or the lock file changed (a copy of it is the stamp). Without root the
# missing programs are named and the browser tests skip (under CI=true they fail instead).
BROWSER_DIR := tests/browser
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.videokit-package-lock.json

browser-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing from Debian for the browser tests:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "the browser tests need:$$missing (e.g. sudo apt-get install$$missing); without them they are skipped"; \
	  fi; \
	fi
	@if ! command -v npm >/dev/null; then \
	  echo "the browser tests need Node.js 20 or newer with npm; without it they are skipped"; \
	elif ! cmp -s $(BROWSER_DIR)/package-lock.json $(BROWSER_STAMP); then \
	  echo "installing the browser test tools (npm ci in $(BROWSER_DIR))"; \
	  npm ci --prefix $(BROWSER_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error; \
	  cp $(BROWSER_DIR)/package-lock.json $(BROWSER_STAMP); \
	fi

# The PostgreSQL test (tests/test_team_postgres.py) runs a throwaway cluster of Debian's
# PostgreSQL server (initdb and pg_ctl, kept in /usr/lib/postgresql/<version>/bin). Without root the
# missing package is named and that test skips (under CI=true it fails instead).
test-services:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing from Debian for the PostgreSQL test: postgresql"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "the PostgreSQL test needs postgresql (e.g. sudo apt-get install postgresql); without it it is skipped"; \
	  fi; \
	fi

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
