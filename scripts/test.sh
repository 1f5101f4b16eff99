#!/usr/bin/env bash
# Install gtdata (editable) with what its tests need, then run the test suite.
#   scripts/test.sh                 the whole suite (offline: downloads go to a local test server)
#   scripts/test.sh tests/store -x  arguments replace "tests" and go to pytest
# Install the torch build for your machine first (the CPU wheel: pip install torch==2.13.0), as pip would
# otherwise pull a CUDA build; the Ray tests run where the ray extra is installed (CI installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet -e ".[test]"
if [ "$#" -eq 0 ]; then
    set -- tests
fi
python -m pytest -q -p no:cacheprovider "$@"
