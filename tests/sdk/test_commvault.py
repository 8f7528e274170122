"""Commvault Command Center through Commvault's official Python SDK (cvpysdk).

Placeholder: the cvpysdk conformance tests are written with the Commvault sandbox's own
changes (branch `cv`, `src/sandbox/commvault.rs`) and replace this file when it merges.
Until then this module only checks that cvpysdk, as pinned in
tests/python/requirements-sdk.txt, is installed and importable.
"""

import unittest


class Placeholder(unittest.TestCase):
    def test_cvpysdk_is_installed(self):
        from cvpysdk.commcell import Commcell

        self.assertTrue(callable(Commcell))


if __name__ == "__main__":
    unittest.main()
