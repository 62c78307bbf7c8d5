# Two commands matter: `make run` (serve the app with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test test-fast test-sqlite test-postgres test-e2e lint format install install-dev chromium libreoffice redis nginx translations i18n bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: reinstall only when the requirements change.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

translations: $(VENV)/.runtime
	@if [ -d app/translations ]; then $(BIN)/pybabel -q compile -d app/translations || exit 1; fi

## make i18n — collect the translatable strings and merge them into each catalog (then translate the .po)
i18n: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations
	$(BIN)/pybabel compile -d app/translations

## make run — migrate the SQLite database in instance/, load demo data once, then serve on HOST:PORT
## with the task queue's worker beside it (mail, big exports); Ctrl+C stops both
run: install
	$(FLASK) db upgrade heads
	@if [ ! -f instance/.demo-seeded ]; then \
		$(FLASK) seed-demo && touch instance/.demo-seeded; \
	else \
		$(FLASK) demo-accounts; \
	fi
	@echo "Mở http://$(HOST):$(PORT) — dừng bằng Ctrl+C"
	@$(FLASK) jobs worker --workers 2 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(FLASK) run --host $(HOST) --port $(PORT)

## make test — lint, the suite on SQLite, again on a throwaway PostgreSQL (with a throwaway Redis: two app
## instances sharing both), then the browser tests
test: install-dev chromium libreoffice redis nginx lint test-sqlite test-postgres test-e2e

test-sqlite: install-dev
	$(BIN)/pytest -m "not e2e" -q

test-postgres: install-dev redis
	bash scripts/with-postgres.sh bash scripts/with-redis.sh $(BIN)/pytest -m "not e2e" -q

test-e2e: install-dev chromium
	$(BIN)/pytest -m e2e -q

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Cài Chromium (gói Debian) cho kiểm thử trình duyệt…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# redis-server: the two-instance test (rate limits and the shared cache across app servers).
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "Cài redis-server (gói Debian) cho kiểm thử nhiều máy chủ ứng dụng…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# nginx-light: `nginx -t` checks the site configuration in deploy/ (tests/test_deploy.py).
nginx:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 || { \
		echo "Cài nginx-light (gói Debian) để kiểm tra cấu hình trong deploy/…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

# LibreOffice Calc (headless, no GUI) and poppler-utils: the export tests convert workbooks to PDF.
libreoffice:
	@{ command -v soffice && command -v pdftotext; } >/dev/null 2>&1 || { \
		echo "Cài LibreOffice Calc (không giao diện) và poppler-utils cho kiểm thử xuất Excel…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-calc-nogui poppler-utils >/dev/null; }

## make lint — ruff (style, bandit's security rules), mypy (types), and the shape of app/ (layers, cycles,
## sizes, private calls; the dependency diagram in docs/ARCHITECTURE.md matches the code)
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider tests/test_architecture.py

## make test-fast — the local loop: lint, then every test on SQLite except the slow ones (marked `slow`:
## LibreOffice conversions, seed-demo, memory and fuzz runs, the route × role matrix) and the browser.
test-fast: lint
	$(BIN)/pytest -m "not e2e and not slow" -q -n 2

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	@for f in bench/*.py; do [ -e "$$f" ] && $(BIN)/python $$f; done; true

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache screenshots
