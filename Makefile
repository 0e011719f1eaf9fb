# Every target sets up .venv itself, so `make run` and `make test` work on a fresh Debian/Ubuntu machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: bytecode run test bench screenshots package contract clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import venv' 2>/dev/null || { echo "python3-venv is missing: sudo apt-get install -y python3-venv"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

# An editable install has no bytecode, and PYTHONDONTWRITEBYTECODE keeps it that way: compile it once,
# as a wheel install would (recompiling every module costs ~75 ms on each start).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q desktop

run: bytecode
	@sh packaging/system-deps.sh x11
	$(BIN)/tokenmirror

test: $(STAMP)
	@sh packaging/system-deps.sh tray  # Xvfb and jwm let the real tray icon be tested too
	$(BIN)/python -m pytest -q

screenshots: $(STAMP)
	@sh packaging/system-deps.sh tray
	$(BIN)/python packaging/screenshots.py docs/screenshots

contract: $(STAMP)
	../shared/tools/check-contract

package: $(STAMP)
	$(BIN)/python -m pip install -q "pyinstaller>=6.10,<7"
	$(BIN)/python packaging/build.py

bench: bytecode
	$(BIN)/python bench/run.py --tm $(BIN)/tokenmirror $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
