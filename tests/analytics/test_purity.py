import pkgutil
import subprocess
import sys

import kam.analytics


def test_no_analytics_module_imports_django() -> None:
    names = [m.name for m in pkgutil.iter_modules(kam.analytics.__path__, "kam.analytics.")]
    assert names, "no modules found"
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
