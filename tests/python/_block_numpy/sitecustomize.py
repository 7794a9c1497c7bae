"""Put on PYTHONPATH to make `import numpy` fail (test_no_numpy.py)."""
import sys


class _BlockNumpy:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError(f"numpy is hidden for this test run ({name})")
        return None


sys.meta_path.insert(0, _BlockNumpy())
