# The targets a newcomer types. CMake (CMakePresets.json) does the real work.
JOBS ?= $(shell nproc)
PORT ?= 8080
DATA ?= ./data

.PHONY: all deps build run test unit integration conformance fuzz bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

build/build.ninja:
	cmake --preset release >/dev/null

build: build/build.ninja
	cmake --build --preset release -j $(JOBS)

run: deps build
	./build/docent serve --host 127.0.0.1 --port $(PORT) --data $(DATA)

test: deps build
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
	find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build build-debug build-fuzz
