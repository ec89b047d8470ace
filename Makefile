# The targets a newcomer types. CMake (CMakePresets.json) does the real work.
JOBS ?= $(shell nproc)
PORT ?= 8080
DATA ?= ./data
# Pinned tools: Debian bookworm's clang 14 (scripts/install-deps.sh), the version .clang-format is tuned for.
CLANG_FORMAT ?= /usr/bin/clang-format-14
RUN_CLANG_TIDY ?= /usr/bin/run-clang-tidy-14
SOURCES = $(shell find src tests bench \( -name '*.cpp' -o -name '*.h' \) -not -path '*/node_modules/*' | sort)

.PHONY: all deps build run test unit integration conformance fuzz bench format format-check tsa tidy clean

all: build

deps:
	@bash scripts/install-deps.sh

build/build.ninja:
	cmake --preset release >/dev/null

build: build/build.ninja
	cmake --build --preset release -j $(JOBS)

run: deps build
	./build/docent serve --host 127.0.0.1 --port $(PORT) --data $(DATA)

# CI runs this: the format check and the clang thread-safety check first (seconds, and a minute or two), then every suite.
test: deps format-check tsa build
	cd build && ctest --output-on-failure -j $(JOBS) --timeout 600

unit: build
	cd build && ctest --output-on-failure -L unit

integration: build
	cd build && ctest --output-on-failure -L integration

conformance: build
	cd build && ctest --output-on-failure -L conformance

fuzz: deps
	bash tests/fuzz/run.sh 60

bench: deps build
	bash bench/http/run.sh

format:
	$(CLANG_FORMAT) -i $(SOURCES)

# Fails, naming the lines, when a file is not formatted as .clang-format says.
format-check:
	$(CLANG_FORMAT) --dry-run -Werror $(SOURCES)

# clang -Wthread-safety over the src/ libraries (front end only, build-tsa/): an access to a GUARDED_BY member
# without its lock, or a REQUIRES helper called without it, fails the build.
tsa: deps
	cmake --preset tsa >/dev/null
	cmake --build --preset tsa -j $(JOBS)

# clang-tidy with .clang-tidy (naming rules of the style guide and a few bug checks) over src/. Advisory: not
# part of `make test`. One file: clang-tidy-14 -p build-tsa src/core/id.cpp
tidy: deps
	cmake --preset tsa >/dev/null
	$(RUN_CLANG_TIDY) -p build-tsa -quiet -j $(JOBS) '$(CURDIR)/src/.*'

clean:
	rm -rf build build-debug build-fuzz build-tsa
