#!/usr/bin/env python3
"""Build the one-folder bundle with PyInstaller and pack it as dist/tokenmirror-<version>-<platform>.tar.gz.

    python packaging/build.py            # what `make package` runs (PyInstaller must be installed)
    python packaging/build.py --no-build # only pack an existing dist/tokenmirror/

The version in the archive's name is what the built executable says (`tokenmirror --version`), so
the name cannot disagree with the bundle. On Linux the bundle also gets install_linux.py (menu
entry and icons, see docs/INSTALL.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "tokenmirror.spec"
NAME = "tokenmirror"


def platform_tag(system: str = sys.platform, machine: str = platform.machine()) -> str:
    """linux-x86_64, macos-arm64, windows-amd64: the OS a user recognizes, then the CPU."""
    os_name = {"darwin": "macos", "win32": "windows"}.get(
        system, "linux" if system.startswith("linux") else system
    )
    return f"{os_name}-{machine.lower() or 'unknown'}"


def executable(bundle: Path) -> Path:
    return bundle / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def run_pyinstaller(dist: Path, work: Path) -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work), str(SPEC)]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True)


def strip_debug_info(bundle: Path) -> int:
    """Linux: some wheels ship libraries with DWARF debug info (libpython, zstandard's backend:
    ~30 MB). Only those are stripped, and only of debug sections; libraries repaired by auditwheel
    (`*.libs/`) are left alone, since rewriting patched ELF files can break them."""
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        return 0
    saved = 0
    for path in sorted(bundle.rglob("*.so*")):
        if path.is_symlink() or not path.is_file() or any(part.endswith(".libs") for part in path.parts):
            continue
        data = path.read_bytes()
        if not data.startswith(b"\x7fELF") or b"\x00.debug_info\x00" not in data:
            continue
        before = len(data)
        subprocess.run(["strip", "--strip-debug", str(path)], check=True)
        saved += before - path.stat().st_size
    return saved


def bundle_version(bundle: Path) -> str:
    """`tokenmirror 0.1.0` from the bundle itself: it also proves the executable starts."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([str(executable(bundle)), "--version"], capture_output=True, text=True, timeout=120,
                          env=env, check=False)  # fmt: skip
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 2 or words[0] != NAME:
        raise SystemExit(f"build: the bundle does not start: {done.stdout}{done.stderr}")
    return words[1]


def pack(bundle: Path, archive: Path) -> None:
    """A tar.gz whose first member is the executable; owners cleared so it unpacks as the user."""
    first = executable(bundle)
    members = [first] + sorted(p for p in bundle.rglob("*") if p != first)

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz", compresslevel=9) as tar:
        tar.add(bundle, arcname=NAME, recursive=False, filter=clean)
        for path in members:
            tar.add(
                path, arcname=f"{NAME}/{path.relative_to(bundle).as_posix()}", recursive=False, filter=clean
            )
    os.replace(partial, archive)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-build", action="store_true", help="pack the existing bundle only")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    dist: Path = args.dist.resolve()
    bundle = dist / NAME
    started = time.monotonic()
    if not args.no_build:
        run_pyinstaller(dist, ROOT / "build" / "pyinstaller")
    if not executable(bundle).is_file():
        raise SystemExit(f"build: no bundle at {bundle}")
    built = time.monotonic() - started
    if not args.no_build:
        saved = strip_debug_info(bundle)
        if saved:
            print(f"build: removed {saved / 1e6:.1f} MB of debug info")
    if sys.platform.startswith("linux"):
        shutil.copy2(ROOT / "packaging" / "install_linux.py", bundle / "install_linux.py")
    version = bundle_version(bundle)
    archive = dist / f"{NAME}-{version}-{platform_tag()}.tar.gz"
    pack(bundle, archive)
    total = time.monotonic() - started
    print(f"bundle   {bundle}  {folder_size(bundle) / 1e6:.1f} MB")
    print(f"archive  {archive}  {archive.stat().st_size / 1e6:.1f} MB")
    print(f"time     {built:.0f} s PyInstaller, {total:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
