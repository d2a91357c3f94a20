# The two commands of the quick start are `make reproduce` and `make test`.
SWIFT ?= swift
THREADS ?= $(shell nproc)

.PHONY: reproduce test build deps golden bench clean

deps:
	@scripts/install-system-packages.sh

build: deps
	$(SWIFT) build -c release --product dvebench

# The main job. Until the table harness lands it verifies this build against the
# reference outputs recorded from the PyTorch implementation (Tests/Fixtures/golden).
reproduce: build
	.build/release/dvebench golden verify --threads $(THREADS) Tests/Fixtures/golden

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2

golden: build
	.build/release/dvebench golden verify --threads $(THREADS) Tests/Fixtures/golden
	.build/release/dvebench golden verify --threads $(THREADS) Tests/Fixtures/golden-alt

bench: deps
	cd Benchmarks && ./compare.sh

clean:
	rm -rf .build
