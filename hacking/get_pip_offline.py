# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test creates a virtual environment for each sanity test and bootstraps
pip in it with a ``get-pip.py`` script fetched from a CI file host, caching it as
``~/.ansible/test/cache/get_pip_<version>.py``.  Where that host is unreachable,
hacking/sanity.sh installs this file under that name (the path ansible-test names
when the download fails).  It installs pip from the interpreter's own ``ensurepip``
and then pip-installs the requested packages (``pip==<version>``) from the
configured package index.

rootguard-aws-get-pip-stand-in (marker used by hacking/sanity.sh)
"""

from __future__ import annotations

import subprocess
import sys

# Options understood by get-pip.py but not by ``pip install``.
GET_PIP_ONLY_OPTIONS = frozenset(('--no-setuptools', '--no-wheel'))


def main() -> None:
    """Bootstrap pip, then install the requested packages."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'], check=True)
    subprocess.run([sys.executable, '-m', 'pip', 'install'] + args, check=True)


if __name__ == '__main__':
    main()
