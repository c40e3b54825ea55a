# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unpack amazon.aws from a release of the ``ansible`` package on PyPI (which bundles it) into
this interpreter's site-packages, where ansible-core finds it.

Usage: python hacking/install_amazon_aws.py 'ansible==X.Y.Z'"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

PREFIX = "ansible_collections/amazon/aws/"


def main() -> None:
    requirement = sys.argv[1]
    print(f"Unpacking amazon.aws from {requirement} into the venv")
    destination = pathlib.Path(sysconfig.get_paths()["purelib"])
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--only-binary=:all:", "--ignore-requires-python", "--dest", download, requirement], check=True)
        (wheel_path,) = pathlib.Path(download).glob("*.whl")
        with zipfile.ZipFile(wheel_path) as wheel:
            names = [name for name in wheel.namelist() if name.startswith(PREFIX)]
            if not names:
                sys.exit(f"no amazon.aws in {wheel_path.name}")
            shutil.rmtree(destination / PREFIX, ignore_errors=True)
            wheel.extractall(destination, names)


if __name__ == "__main__":
    main()
