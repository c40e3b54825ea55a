# rootguard.aws developer Makefile.
#
# Needs only Python (>= 3.11, with venv and ensurepip), pip, git and make: the
# first target that needs tools builds the virtualenv in .venv/ once.
#
#   make demo            rehearse the playbooks against the local AWS emulator
#   make test            everything CI runs (sanity, units, emulator-tests,
#                        integration, lint, docs-lint, changelog-lint)
#   make emulator        run the emulator in the foreground
#                        (PORT=4566 ACCOUNTS=50 SEED=mixed)
#   make help            list the targets

SHELL := /bin/bash
.DEFAULT_GOAL := help
# The targets share the venv and the build tree: run them one after another.
.NOTPARALLEL:

# ---------------------------------------------------------------------------
# Virtualenv

VENV       := .venv
VENV_BIN   := $(CURDIR)/$(VENV)/bin
VENV_PY    := $(VENV_BIN)/python
VENV_STAMP := $(VENV)/.installed

# Interpreters tried, newest first; with pyenv present, each of its versions
# is tried too.  Every candidate is run; the highest working one >= 3.11 wins.
# Set PYTHON=/path/to/python to choose one yourself.
PYTHON ?=
PYTHON_CANDIDATES ?= python3.14 python3.13 python3.12 python3.11 python3

# amazon.aws is not installed from Galaxy: it is unpacked from the `ansible`
# package on PyPI (which bundles it) into the venv's site-packages, where
# ansible-core finds it (`ansible-galaxy collection list` shows it).
# ansible 14.5.0 bundles amazon.aws 11.4.0.
AMAZON_AWS_FROM  := ansible==14.5.0
AMAZON_AWS_STAMP := $(VENV)/.amazon.aws-from-$(subst ==,-,$(AMAZON_AWS_FROM))

# Prints "<version as an integer> <interpreter path>" of each working candidate.
define FIND_PYTHONS
cands="$(PYTHON_CANDIDATES)"; \
if command -v pyenv >/dev/null 2>&1; then \
  root=$$(pyenv root 2>/dev/null) || root=; \
  if [ -n "$$root" ]; then \
    for v in $$(pyenv versions --bare 2>/dev/null); do cands="$$cands $$root/versions/$$v/bin/python3"; done; \
  fi; \
fi; \
for c in $$cands; do \
  "$$c" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11); print("%d%03d%03d" % sys.version_info[:3], sys.executable)' 2>/dev/null || true; \
done
endef

$(VENV_STAMP): requirements-dev.txt
	@py="$(PYTHON)"; \
	if [ -z "$$py" ]; then \
	  py=$$( { $(FIND_PYTHONS); } | sort -s -k1,1nr | head -n 1 | cut -d' ' -f2- ); \
	fi; \
	if [ -z "$$py" ]; then echo "No working Python >= 3.11 (with venv and ensurepip) found." >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$("$$py" -c 'import sys; print("Python %d.%d.%d" % sys.version_info[:3], sys.executable)')"; \
	"$$py" -m venv --clear $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.amazon.aws-from-*
	@touch $@

$(AMAZON_AWS_STAMP): $(VENV_STAMP)
	@rm -rf $(VENV)/download
	@echo "Unpacking amazon.aws from $(AMAZON_AWS_FROM) into the venv"
	$(VENV_PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	  --ignore-requires-python --dest $(VENV)/download '$(AMAZON_AWS_FROM)'
	$(VENV_PY) -c 'import pathlib, shutil, sys, sysconfig, zipfile; \
	  prefix = "ansible_collections/amazon/aws/"; \
	  dest = pathlib.Path(sysconfig.get_paths()["purelib"]); \
	  shutil.rmtree(dest / prefix, ignore_errors=True); \
	  wheel = zipfile.ZipFile(sys.argv[1]); \
	  names = [n for n in wheel.namelist() if n.startswith(prefix)]; \
	  assert names, "no amazon.aws in " + sys.argv[1]; \
	  wheel.extractall(dest, names)' $(VENV)/download/*.whl
	@rm -rf $(VENV)/download
	@touch $@

.PHONY: venv
venv: $(AMAZON_AWS_STAMP) ## Build the development virtualenv in .venv/ (done once)

# ---------------------------------------------------------------------------
# Older ansible-core releases
#
# The collection declares ansible-core 2.17 or newer (meta/runtime.yml), and
# some behaviours differ before 2.19 (plain strings in variables are templated
# again when used).  Tests that must hold on those releases run their
# ansible-playbook / ansible-inventory from side virtualenvs in .venv-cores/,
# one per release, built once.  Each entry: <ansible-core>:<Pythons it runs on,
# preferred first>.  amazon.aws and this collection come from the collection
# tree, as for the main venv.
CORES         ?= 2.17.14:3.12,3.11 2.18.19:3.13,3.12,3.11
CORE_PACKAGES := boto3==1.44.5 botocore==1.44.5
CORES_DIR     := .venv-cores

.PHONY: cores
cores: $(VENV_STAMP) ## Side virtualenvs with older ansible-core releases (.venv-cores/, built once)
	@pythons=$$( { $(FIND_PYTHONS); } | sort -s -k1,1nr ); \
	for entry in $(CORES); do \
	  core=$${entry%%:*}; minor=$${core%.*}; dir=$(CORES_DIR)/ansible-core-$$minor; \
	  if [ -e "$$dir/.installed-$$core" ]; then continue; fi; \
	  py=; for want in $$(echo $${entry#*:} | tr ',' ' '); do \
	    py=$$(echo "$$pythons" | awk -v want="$$want" '{ v = substr($$1, 1, length($$1) - 3); if (sprintf("%d.%d", int(v / 1000), v % 1000) == want) { print $$2; exit } }'); \
	    if [ -n "$$py" ]; then break; fi; \
	  done; \
	  if [ -z "$$py" ]; then echo "cores: no Python $${entry#*:} for ansible-core $$core found." >&2; exit 1; fi; \
	  echo "Creating $$dir: ansible-core $$core on $$("$$py" -c 'import sys; print("Python %d.%d.%d" % sys.version_info[:3])')"; \
	  rm -rf "$$dir" && "$$py" -m venv "$$dir" && \
	  "$$dir/bin/python" -m pip install --quiet --disable-pip-version-check "ansible-core==$$core" $(CORE_PACKAGES) && \
	  touch "$$dir/.installed-$$core" || exit 1; \
	done

# ---------------------------------------------------------------------------
# Collection tree
#
# ansible-test needs the collection at .../ansible_collections/rootguard/aws/
# with its dependencies beside it, whatever this checkout's directory is called.
# The tree is rebuilt on every run from the git-tracked files (as they are in
# the work tree, uncommitted changes included; `git add -N` a new file to
# include it), so it holds what a fresh clone of the next commit would hold.
# It gets its own `git init`: without one, ansible-test would walk up to this
# repository's .git, where build/ is ignored, and see no files at all.
# amazon.aws is copied beside it from the venv.

COLLECTIONS_ROOT := $(CURDIR)/build/collections
COLLECTION_DIR   := $(COLLECTIONS_ROOT)/ansible_collections/rootguard/aws
AMAZON_AWS_DIR   := $(COLLECTIONS_ROOT)/ansible_collections/amazon/aws

.PHONY: collection-tree
collection-tree: $(AMAZON_AWS_STAMP)
	@rm -rf $(COLLECTION_DIR) $(AMAZON_AWS_DIR)
	@mkdir -p $(COLLECTION_DIR) $(dir $(AMAZON_AWS_DIR))
	@git ls-files -z --cached \
	  | while IFS= read -r -d '' f; do if [ -e "$$f" ] || [ -L "$$f" ]; then printf '%s\0' "$$f"; fi; done \
	  | tar --null --no-recursion -T - -cf - | tar -xf - -C $(COLLECTION_DIR)
	@git -C $(COLLECTION_DIR) init --quiet
	@cp -R "$$($(VENV_PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections/amazon/aws" $(AMAZON_AWS_DIR)
	@git -C $(AMAZON_AWS_DIR) init --quiet
	@echo "Collection tree: $(COLLECTION_DIR) ($$(cd $(COLLECTION_DIR) && git ls-files --others --exclude-standard | wc -l) files)"
	@untracked=$$(git ls-files --others --exclude-standard | wc -l); \
	if [ "$$untracked" -gt 0 ]; then \
	  echo "Left out: $$untracked untracked file(s) (git add -N to include them): $$(git ls-files --others --exclude-standard --directory | head -n 5 | tr '\n' ' ')"; \
	fi

# Environment for commands that run Ansible or the emulator.
RUN_ENV = PATH="$(VENV_BIN):$$PATH" \
	ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS_ROOT)" \
	PYTHONPATH="$(CURDIR)/tests/emulator:$(COLLECTIONS_ROOT)"

# ---------------------------------------------------------------------------
# Emulator and demo

PORT     ?= 4566
ACCOUNTS ?= 50
SEED     ?= mixed

.PHONY: emulator
emulator: $(VENV_STAMP) ## Run the local AWS emulator in the foreground (PORT, ACCOUNTS, SEED)
	PYTHONPATH="$(CURDIR)/tests/emulator" $(VENV_PY) -m rootguard_emulator serve --port $(PORT) --accounts $(ACCOUNTS) --seed $(SEED)

.PHONY: demo
demo: collection-tree ## Harden a 25-account organization on the local emulator: plan, run, reports/
	$(RUN_ENV) bash tests/emulator/harden_demo.sh

.PHONY: demo-cli
demo-cli: $(VENV_STAMP) ## The AWS CLI walkthrough of centralized root access on the local emulator
	PATH="$(VENV_BIN):$$PATH" PYTHONPATH="$(CURDIR)/tests/emulator" bash tests/emulator/cli_walkthrough.sh

# ---------------------------------------------------------------------------
# Tests

# pytest exits 5 when it collects nothing.  A test directory without any test
# file yet is reported and passes; once it has test files, every pytest exit
# code counts.  $(1): directory, $(2): environment, $(3): extra pytest options.
define PYTEST_DIR
	@if [ -z "$$(find $(1) -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit 2>/dev/null)" ]; then \
	  echo "$(1): no test files yet, nothing to run."; \
	else \
	  echo "pytest $(1) $(3) $(PYTEST_ARGS)"; \
	  $(2) $(VENV_BIN)/pytest $(1) $(3) $(PYTEST_ARGS); \
	fi
endef

PYTEST_ARGS ?=

.PHONY: test
test: sanity units emulator-tests integration reliability lint docs-lint changelog-lint ## Run every check CI runs, in order

# ansible-test sanity, with no ignore file entries.
# --python restricts it to the venv's Python: otherwise the tests that run per
# Python version (compile, import, ...) try every python3.X found on PATH, and
# a broken interpreter there (such as a pyenv shim of a version that is not
# selected) makes them fail.  ansible-test bootstraps pip in each of its test
# venvs with a script downloaded from a CI file host; the stand-in in hacking/
# (installed under the cache name ansible-test looks for) uses ensurepip and
# the package index instead, so sanity runs offline from that host.
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
SANITY_ARGS ?=

.PHONY: sanity
sanity: collection-tree ## ansible-test sanity on the current work tree
	@ver=$$($(VENV_PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	pip_ver=$$($(VENV_PY) -c 'import sys, types; \
	  from ansible_test._internal.python_requirements import get_venv_packages; \
	  print(get_venv_packages(types.SimpleNamespace(version=sys.argv[1]))["pip"])' $$ver); \
	get_pip="$(ANSIBLE_TEST_CACHE)/get_pip_$${pip_ver//./_}.py"; \
	if ! cmp -s hacking/get_pip_offline.py "$$get_pip"; then \
	  if [ ! -e "$$get_pip" ] || grep -q 'rootguard-aws-get-pip-stand-in' "$$get_pip"; then \
	    mkdir -p "$(ANSIBLE_TEST_CACHE)" && cp hacking/get_pip_offline.py "$$get_pip" && \
	    echo "Installed the pip bootstrap stand-in as $$get_pip"; \
	  fi; \
	fi; \
	cd $(COLLECTION_DIR) && echo "ansible-test sanity --python $$ver $(SANITY_ARGS)" && \
	PATH="$(VENV_BIN):$$PATH" ansible-test sanity --python $$ver $(SANITY_ARGS)

.PHONY: units
units: collection-tree ## Unit tests (pytest tests/unit)
	$(call PYTEST_DIR,tests/unit,$(RUN_ENV))

.PHONY: emulator-tests
emulator-tests: $(VENV_STAMP) ## The emulator's own tests (pytest tests/emulator)
	$(call PYTEST_DIR,tests/emulator,PYTHONPATH="$(CURDIR)/tests/emulator")

.PHONY: integration
integration: collection-tree browser cores ## Playbook runs against the emulator (pytest tests/integration)
	$(call PYTEST_DIR,tests/integration,$(RUN_ENV),-n 2 --durations=20)

.PHONY: reliability
reliability: collection-tree cores ## Faults, bad input, secrets, check mode, no lost data, concurrency (pytest tests/reliability)
	$(call PYTEST_DIR,tests/reliability,$(RUN_ENV),-n 2 --durations=20)

# The HTML audit report is opened in headless Chromium by an integration test.
# Nothing to do when a chromium is on PATH; otherwise Debian's `chromium` is
# installed with apt-get (as root, or with passwordless sudo).
.PHONY: browser
browser: ## Headless Chromium for the HTML report test (Debian's chromium, when missing)
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then exit 0; fi; \
	fail() { echo "browser: $$1; install Debian's chromium package yourself (apt-get install chromium) and run this again." >&2; exit 1; }; \
	command -v apt-get >/dev/null 2>&1 || fail "no chromium on PATH and no apt-get to install it"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else fail "no chromium on PATH, and installing it needs root or passwordless sudo"; fi; \
	echo "Installing Debian's chromium (headless browser for the HTML report test)"; \
	$$sudo apt-get update -qq || fail "apt-get update failed"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
	  || fail "apt-get install chromium failed"; \
	command -v chromium >/dev/null 2>&1 || fail "chromium is still not on PATH after the install"

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
# Benchmarks (not part of `make test`: about 25 minutes on 2 CPUs)
#
# Settings from the environment or the command line, e.g.
#   make bench BENCH_SIZES=100,1000 BENCH_REPEAT=3
# BENCH_SIZES, BENCH_REPEAT, BENCH_CONCURRENCY, BENCH_PER_HOST_ACCOUNTS, BENCH_PER_HOST_FORKS,
# BENCH_PER_HOST_REPEAT, BENCH_BASELINE_ACCOUNTS, BENCH_BASELINE_REPEAT: see tests/bench/bench.py.

.PHONY: bench
bench: collection-tree ## Speed, API calls and memory at 100/1,000/5,000 accounts against the ceiling and the bash loop; writes BENCHMARKS.md
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
