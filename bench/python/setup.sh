#!/bin/sh
# Installs the Python baseline stack from Debian bookworm's packages: the
# versions the README's numbers were measured with (no PyPI needed).
# Everything runs with /usr/bin/python3: a python3 earlier on PATH (pyenv,
# a virtualenv) does not see these packages.
# Runs apt-get as root, through sudo when started by another user.
set -e
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  python3-numpy python3-scipy python3-pandas python3-sklearn python3-xgboost python3-threadpoolctl \
  python3-fastapi python3-pydantic uvicorn python3-uvicorn python3-uvloop python3-httptools \
  wrk hyperfine iproute2 curl
/usr/bin/python3 -c "import numpy, scipy, pandas, sklearn, xgboost, fastapi, pydantic, uvicorn, uvloop, httptools; \
print('numpy', numpy.__version__, 'scipy', scipy.__version__, 'pandas', pandas.__version__, 'sklearn', sklearn.__version__, \
'xgboost', xgboost.__version__, 'fastapi', fastapi.__version__, 'pydantic', pydantic.VERSION, 'uvicorn', uvicorn.__version__)"
