# rootguard.aws developer Makefile.
#
# Needs only Python (>= 3.11, with venv and ensurepip), pip, git and make: the
# first target that needs tools builds the virtualenv in .venv/ once.
#
#   make demo            rehearse the playbooks against the local AWS emulator
#   make test            everything CI runs (sanity, units, emulator-tests,
#                        integration, controller, matrix, reliability, lint,
#                        docs-lint, changelog-lint)
#   make emulator        run the emulator in the foreground
#                        (PORT=4566 ACCOUNTS=50 SEED=mixed)
#   make help            list the targets

SHELL := /bin/bash
.DEFAULT_GOAL := help
# The targets share the venv and the build tree: run them one after another.
.NOTPARALLEL:

# ---------------------------------------------------------------------------
# Virtualenv

VENV       ?= .venv
VENV_BIN   := $(abspath $(VENV))/bin
VENV_PY    := $(VENV_BIN)/python
VENV_STAMP := $(VENV)/.installed

# Interpreters tried, newest first; with pyenv present, each of its versions
# is tried too.  Every candidate is run; the highest working one >= 3.11 wins
# (hacking/find_pythons.sh).  Set PYTHON=/path/to/python to choose one yourself.
PYTHON ?=
PYTHON_CANDIDATES ?= python3.14 python3.13 python3.12 python3.11 python3
export PYTHON PYTHON_CANDIDATES

# amazon.aws is not installed from Galaxy: it is unpacked from the `ansible`
# package on PyPI (which bundles it) into the venv's site-packages, where
# ansible-core finds it (`ansible-galaxy collection list` shows it).
# ansible 14.5.0 bundles amazon.aws 11.4.0.
AMAZON_AWS_FROM  := ansible==14.5.0
AMAZON_AWS_STAMP := $(VENV)/.amazon.aws-from-$(subst ==,-,$(AMAZON_AWS_FROM))

# requirements-dev.txt installs the emulator package (tests/emulator) too, in
# editable mode: a change to its pyproject.toml rebuilds the venv.  VENV=DIR
# builds and uses a virtualenv elsewhere (e.g. a throwaway one, to try what a
# fresh machine does).
$(VENV_STAMP): requirements-dev.txt tests/emulator/pyproject.toml
	@hacking/venv.sh $(VENV)
	@touch $@

$(AMAZON_AWS_STAMP): $(VENV_STAMP)
	$(VENV_PY) hacking/install_amazon_aws.py '$(AMAZON_AWS_FROM)'
	@touch $@

.PHONY: venv
venv: $(AMAZON_AWS_STAMP) ## Build the development virtualenv in .venv/ (done once)

# ---------------------------------------------------------------------------
# Older ansible-core releases, and the oldest botocore
#
# The collection declares ansible-core 2.17 or newer (meta/runtime.yml), and
# some behaviours differ before 2.19 (plain strings in variables are templated
# again when used).  Tests that must hold on those releases run their
# ansible-playbook / ansible-inventory from side virtualenvs in .venv-cores/,
# one per release, built once (hacking/side_venv.sh).  Each entry:
# <ansible-core>:<Pythons it runs on, preferred first>; between them the
# entries use every Python the venv supports.  The newest release is the main
# venv's.  amazon.aws and this collection come from the collection tree, as
# for the main venv.
CORES         ?= 2.17.14:3.12,3.11 2.18.19:3.13,3.12,3.11 2.19.14:3.11,3.12,3.13 2.20.10:3.12,3.13
CORE_PACKAGES := boto3==1.44.18 botocore==1.44.18
CORES_DIR     := .venv-cores

.PHONY: cores
cores: $(VENV_STAMP) ## Side virtualenvs with older ansible-core releases (.venv-cores/, built once)
	@hacking/cores.sh $(CORES_DIR) '$(CORES)' $(CORE_PACKAGES)

# The oldest botocore and boto3 the collection accepts (requirements.txt), with
# the emulator package (its moto: the unit tests' in-process emulator; the one
# served over HTTP is the main venv's) and requirements-dev.txt's pins of
# ansible-core (the newest), pytest, requests, Jinja2 and ansible-builder.
OLDEST_BOTOCORE          := 1.40.61
OLDEST_BOTOCORE_PACKAGES := boto3==$(OLDEST_BOTOCORE) botocore==$(OLDEST_BOTOCORE) -e ./tests/emulator \
                            $(shell grep -E '^(ansible-core|pytest|requests|jinja2|ansible-builder)==' requirements-dev.txt \
                                    | grep -v 'python_version <' | sed 's/;.*//')

.PHONY: oldest-botocore
oldest-botocore: ## Side virtualenv with the oldest botocore the collection accepts (.venv-cores/, built once)
	@hacking/side_venv.sh $(CORES_DIR)/botocore-$(OLDEST_BOTOCORE) 3.13,3.12 $(OLDEST_BOTOCORE_PACKAGES)

# ---------------------------------------------------------------------------
# Collection tree
#
# ansible-test needs the collection at .../ansible_collections/rootguard/aws/
# with its dependencies beside it, whatever this checkout's directory is called.
# The tree is rebuilt on every run from the git-tracked files (as they are in
# the work tree, uncommitted changes included; `git add -N` a new file to
# include it), so it holds what a fresh clone of the next commit would hold.
# amazon.aws is copied beside it from the venv (hacking/collection_tree.sh).

COLLECTIONS_ROOT := $(CURDIR)/build/collections
COLLECTION_DIR   := $(COLLECTIONS_ROOT)/ansible_collections/rootguard/aws
AMAZON_AWS_DIR   := $(COLLECTIONS_ROOT)/ansible_collections/amazon/aws

.PHONY: collection-tree
collection-tree: $(AMAZON_AWS_STAMP)
	@hacking/collection_tree.sh $(COLLECTION_DIR) $(AMAZON_AWS_DIR) $(VENV_PY)

# Environment for commands that run Ansible or the emulator.  The emulator is
# installed in the venv; PYTHONPATH makes the collection tree importable as
# ansible_collections.* (for the unit tests and pytest's imports of plugins).
RUN_ENV = PATH="$(VENV_BIN):$$PATH" \
	ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS_ROOT)" \
	PYTHONPATH="$(COLLECTIONS_ROOT)"

# ---------------------------------------------------------------------------
# Emulator and demo

PORT     ?= 4566
ACCOUNTS ?= 50
SEED     ?= mixed

.PHONY: emulator
emulator: $(VENV_STAMP) ## Run the local AWS emulator in the foreground (PORT, ACCOUNTS, SEED)
	$(VENV_PY) -m rootguard_emulator serve --port $(PORT) --accounts $(ACCOUNTS) --seed $(SEED)

.PHONY: demo
demo: collection-tree ## Harden a 25-account organization on the local emulator: plan, run, reports/
	$(RUN_ENV) bash tests/emulator/harden_demo.sh

.PHONY: demo-cli
demo-cli: $(VENV_STAMP) tools ## The AWS CLI walkthrough of centralized root access on the local emulator
	PATH="$(VENV_BIN):$$PATH" bash tests/emulator/cli_walkthrough.sh

# ---------------------------------------------------------------------------
# Tests

# hacking/pytest_dir.sh: pytest on a test directory (one without test files
# yet passes).  $(1): directory, $(2): environment, $(3): extra pytest options.
PYTEST_DIR = $(2) hacking/pytest_dir.sh $(VENV_BIN)/pytest $(1) $(3) $(PYTEST_ARGS)

PYTEST_ARGS ?=

.PHONY: test
test: sanity units emulator-tests integration controller matrix reliability lint docs-lint changelog-lint ## Run every check CI runs, in order

# ansible-test sanity, with no ignore file entries, on the venv's Python; where
# ansible-test cannot download its pip bootstrap script, hacking/sanity.sh
# installs an offline stand-in (hacking/get_pip_offline.py) and runs it again.
SANITY_ARGS ?=

.PHONY: sanity
sanity: collection-tree ## ansible-test sanity on the current work tree
	@PATH="$(VENV_BIN):$$PATH" hacking/sanity.sh $(COLLECTION_DIR) $(VENV_PY) $(SANITY_ARGS)

.PHONY: units
units: collection-tree ## Unit tests (pytest tests/unit)
	@$(call PYTEST_DIR,tests/unit,$(RUN_ENV))

.PHONY: emulator-tests
emulator-tests: $(VENV_STAMP) tools ## The emulator's own tests (pytest tests/emulator)
	@$(call PYTEST_DIR,tests/emulator,,-n 2 --durations=10)

.PHONY: integration
integration: collection-tree browser tools cores ## Playbook runs against the emulator (pytest tests/integration)
	@$(call PYTEST_DIR,tests/integration,$(RUN_ENV),-n 2 --durations=20)

# The playbooks as an automation controller (AWX, Ansible Automation Platform) runs them:
# ansible-runner (requirements-dev.txt), the controller's AWS credential and event limit.
.PHONY: controller
controller: collection-tree ## The playbooks as AWX / Automation Platform jobs through ansible-runner (pytest tests/controller)
	@$(call PYTEST_DIR,tests/controller,$(RUN_ENV),-n 2 --durations=10)

.PHONY: matrix
matrix: collection-tree cores oldest-botocore ## Smoke of the collection on each ansible-core release it declares and with the oldest botocore (pytest tests/matrix)
	@$(call PYTEST_DIR,tests/matrix,$(RUN_ENV),-n 2 --durations=10)

.PHONY: reliability
reliability: collection-tree cores ## Faults, bad input, secrets, check mode, no lost data, concurrency (pytest tests/reliability)
	@$(call PYTEST_DIR,tests/reliability,$(RUN_ENV),-n 2 --durations=20)

# The HTML audit report is opened in headless Chromium by an integration test;
# the AWS CLI fidelity tests (and `make demo-cli`) run jq.  Nothing to do when
# the command is on PATH; otherwise Debian's package is installed with apt-get
# (as root, or with passwordless sudo) by hacking/apt_install.sh.
.PHONY: browser
browser: ## Headless Chromium for the HTML report test (Debian's chromium, when missing)
	@hacking/apt_install.sh chromium "headless browser for the HTML report test" chromium chromium-browser

.PHONY: tools
tools: ## jq for the AWS CLI fidelity tests and demo-cli (Debian's jq, when missing)
	@hacking/apt_install.sh jq "JSON processor for the AWS CLI fidelity tests" jq

# ---------------------------------------------------------------------------
# Linters

# .ansible-lint sets `offline: true` (no Galaxy), which also stops ansible-lint
# from installing this collection into its own cache, so it is given the
# collection tree to resolve rootguard.aws (and amazon.aws) in playbooks.
.PHONY: lint
lint: collection-tree ## ansible-lint, production profile (.ansible-lint)
	PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS_ROOT)" ansible-lint

.PHONY: docs-lint
# antsibull-docs copies the collection and its dependencies with the files git
# does not ignore: amazon.aws is taken from the collection tree (its own `git
# init`), not from the venv, which this repository's .gitignore hides.
docs-lint: collection-tree ## antsibull-docs lint of the collection's docs
	PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS_ROOT)" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
	  antsibull-docs lint-collection-docs --plugin-docs $(COLLECTION_DIR)

.PHONY: docs
docs: collection-tree ## The HTML docs site in build/docs/html/ (antsibull-docs and Sphinx, offline)
	$(RUN_ENV) bash hacking/build_docs.sh

.PHONY: changelog-lint
changelog-lint: $(VENV_STAMP) ## antsibull-changelog lint of changelogs/fragments
	$(VENV_BIN)/antsibull-changelog lint
	$(VENV_BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# ---------------------------------------------------------------------------
# Benchmarks (not part of `make test`: about 25 minutes on 2 CPUs for the modules, as much again for
# the guardrails check)
#
# Settings from the environment or the command line, e.g.
#   make bench BENCH_SIZES=100,1000 BENCH_REPEAT=3
# BENCH_SIZES, BENCH_REPEAT, BENCH_CONCURRENCY, BENCH_PER_HOST_ACCOUNTS, BENCH_PER_HOST_FORKS,
# BENCH_PER_HOST_REPEAT, BENCH_BASELINE_ACCOUNTS, BENCH_BASELINE_REPEAT: see tests/bench/bench.py.
# BENCH_PARTS=guardrails runs only root_task_guardrails_info's part (BENCH_GUARDRAILS_SIZES, default
# 1000,5000; BENCH_GUARDRAILS_REPEAT) and rewrites only its block of BENCHMARKS.md; BENCH_PARTS=modules
# runs only the bulk, per-host and baseline runs and keeps the other blocks. BENCH_PARTS=latency runs only the
# bulk audit with the emulator's delay per call (BENCH_LATENCY_MS, default 30) at each of
# BENCH_LATENCY_CONCURRENCY (default 10,25,50,100) over BENCH_LATENCY_ACCOUNTS (default 1000) accounts,
# BENCH_LATENCY_REPEAT runs each (default 3 up to 1,000 accounts, 1 above). BENCH_PARTS=controller runs only the
# playbooks as an automation controller runs them (ansible-runner, MAX_EVENT_RES=700000): the largest task result of
# the audit at BENCH_CONTROLLER_SIZES (default 1000,5000,10000; the 10,000 job takes several minutes), and the
# per-account audit over BENCH_CONTROLLER_SLICE_ACCOUNTS (default 5000) as one job and as BENCH_CONTROLLER_SLICES
# (default 4) slices, against the bulk job and today's per-host mode at BENCH_CONTROLLER_PER_HOST_ACCOUNTS (default 200);
# BENCH_CONTROLLER_RAISED_LIMIT: the MAX_EVENT_RES of a second audit job when a result was stored as {} (0: none).

.PHONY: bench
bench: collection-tree ## Speed, API calls and memory at 100/1,000/5,000 accounts against the ceiling and the bash loop, of the guardrails check, with latency, and as a controller job (result sizes, slicing); writes BENCHMARKS.md
	$(RUN_ENV) $(VENV_PY) tests/bench/bench.py --output BENCHMARKS.md

# ---------------------------------------------------------------------------
# Housekeeping

.PHONY: clean
clean: ## Remove build trees, reports and test output (keeps .venv)
	rm -rf build reports tests/output .pytest_cache
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: distclean
distclean: clean ## clean, and remove the virtualenv
	rm -rf $(VENV)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'
