# The two commands of the quick start are `make reproduce` and `make test`.
SWIFT ?= swift
THREADS ?= $(shell nproc)
PREFIX ?= /usr/local

.PHONY: reproduce reproduce-quick test test-slurm test-kill fuzz-smoke build install deps golden bench clean

deps:
	@scripts/install-system-packages.sh

build: deps
	$(SWIFT) build -c release --product dvebench

# PREFIX/bin/dvebench, with the repository's manifests/ and expected/ in PREFIX/share/dvebench
# (where the binary looks when no repository is found from the current folder or $DVEBENCH_HOME),
# and shell completions for bash, zsh and fish. Rerun after pulling: it replaces the shared copy.
install: build
	install -d "$(PREFIX)/bin" "$(PREFIX)/share/dvebench" "$(PREFIX)/share/bash-completion/completions" \
		"$(PREFIX)/share/zsh/site-functions" "$(PREFIX)/share/fish/vendor_completions.d"
	install -m 755 .build/release/dvebench "$(PREFIX)/bin/dvebench"
	rm -rf "$(PREFIX)/share/dvebench/manifests" "$(PREFIX)/share/dvebench/expected"
	cp -R manifests expected "$(PREFIX)/share/dvebench/"
	"$(PREFIX)/bin/dvebench" --generate-completion-script bash > "$(PREFIX)/share/bash-completion/completions/dvebench"
	"$(PREFIX)/bin/dvebench" --generate-completion-script zsh > "$(PREFIX)/share/zsh/site-functions/_dvebench"
	"$(PREFIX)/bin/dvebench" --generate-completion-script fish > "$(PREFIX)/share/fish/vendor_completions.d/dvebench.fish"
	@echo "installed $$("$(PREFIX)/bin/dvebench" --version) in $(PREFIX)"

# The main job: the synthetic seed tables on SynthFaces (no dataset, no checkpoint needed),
# diffed against expected/synthetic.h5; exits with the diff's code (0 within tolerance).
reproduce: build
	.build/release/dvebench reproduce

# The CI tier of the same job (under 3 minutes on two cores).
reproduce-quick: build
	.build/release/dvebench reproduce --quick

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2

# The cluster path (`dvebench submit`, requeue and resume, `status`) on a real single-node Slurm
# started on localhost and stopped again; needs root, installs Debian's Slurm and munge.
test-slurm: build
	@scripts/install-system-packages.sh slurmctld slurmd slurm-client munge
	scripts/test-slurm.sh

# Crash consistency: a run killed with SIGKILL again and again, a reader checking every file it
# writes, and the final numbers against an uninterrupted run's.
test-kill: build
	scripts/test-kill.sh

# Every libFuzzer target (checkpoints, images, manifests, datasets' annotations, DVEBench's HDF5
# files) for a few seconds each under AddressSanitizer; Fuzz/README.md has the long runs.
fuzz-smoke: deps
	Fuzz/smoke.sh

golden: build
	.build/release/dvebench golden verify --threads $(THREADS) Tests/Fixtures/golden
	.build/release/dvebench golden verify --threads $(THREADS) Tests/Fixtures/golden-alt

# The whole pipeline against PyTorch (needs Debian's python3-torch): one table of ratios and peak RSS.
bench: deps
	cd Benchmarks && ./pipeline.sh

clean:
	rm -rf .build
