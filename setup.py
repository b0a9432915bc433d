"""pip install --no-build-isolation .  — the Python package `dlt` on libdltc.

Builds the extension dlt._dltc (CPython's limited API: one abi3 binary for CPython >= 3.10)
from python/_dltc/*.c and the whole library (src/, less the CLI), linked into the module, and
ships libduckdb.so (from scripts/bootstrap: third_party/duckdb) inside the package, where the
module finds it. Needs what scripts/bootstrap installs (Debian's -dev packages, setuptools,
wheel); nothing is downloaded. The CMake build (build/python) is the same package for
PYTHONPATH use without installing.
"""
import glob
import os
import shutil
import subprocess

from setuptools import Extension, find_packages, setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))
DUCKDB = os.path.join(ROOT, "third_party", "duckdb")


def pkg_cflags(*pkgs):
    out = subprocess.run(["pkg-config", "--cflags-only-I"] + list(pkgs), check=True,
                         capture_output=True, text=True).stdout.split()
    return [f[2:] for f in out if f.startswith("-I")]


def sources():
    lib = [f for f in glob.glob("src/**/*.c", recursive=True)
           if not f.startswith(os.path.join("src", "cli") + os.sep)]
    return sorted(glob.glob("python/_dltc/*.c")) + sorted(lib)


class build_py_with_duckdb(build_py):
    """Put libduckdb.so next to the module (dlt/__init__.py points libdltc at it)."""

    def run(self):
        super().run()
        src = os.path.join(DUCKDB, "libduckdb.so")
        if not os.path.exists(src):
            raise SystemExit("third_party/duckdb/libduckdb.so is missing: run scripts/bootstrap")
        dst = os.path.join(self.build_lib, "dlt", "libduckdb.so")
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)


ext = Extension(
    "dlt._dltc",
    sources=sources(),
    include_dirs=["include", "src", DUCKDB] + pkg_cflags("libcurl", "libpq", "yaml-0.1"),
    define_macros=[("_GNU_SOURCE", None), ("DLTC_BUILDING", None),
                   ("DLTC_DUCKDB_LIB_PATH", '"libduckdb.so"')],
    libraries=["crypto", "yaml", "z", "m", "dl", "pthread"],
    extra_compile_args=["-std=c11", "-O2", "-fvisibility=hidden", "-Wno-unused-parameter"],
    py_limited_api=True,
)

setup(
    name="dlt",
    version="1.26.0",
    description="dlt (data load tool) on libdltc: extract, normalize and load in C",
    package_dir={"": "python"},
    packages=find_packages("python"),
    ext_modules=[ext],
    cmdclass={"build_py": build_py_with_duckdb},
    python_requires=">=3.10",
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
    zip_safe=False,
)
