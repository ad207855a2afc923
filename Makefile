# petitiond -- the two commands: `make run` and `make test`.
# On a fresh Debian 12 machine both install what is missing (apt-get, only
# when a package is absent), configure meson, build, and go.

BUILD    ?= build
PORT     ?= 8080
DB       ?= ./petition.db
MESON_OPTS ?=

# Debian packages the build and the tests need.
BUILD_PKGS = meson ninja-build pkg-config gcc libc6-dev libmicrohttpd-dev libsqlite3-dev \
             libcjson-dev libutf8proc-dev nettle-dev zlib1g-dev libqrencode-dev
TEST_PKGS  = python3 sqlite3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all run test deps test-deps build clean browser-deps

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

run: build
	./$(BUILD)/petitiond --port $(PORT) --db $(DB)

test: test-deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)
	python3 tests/run.py $(BUILD)

clean:
	rm -rf $(BUILD)
