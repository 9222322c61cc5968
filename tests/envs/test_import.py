"""Importing fieldgym registers every id without importing the heavy libraries.

Before, ``import fieldgym`` imported pandas (through the trading configs) and numba
(through the action check), about 0.6 s of the 0.9 s it took; they now load when an
env that needs them is made.
"""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_registers_every_id_and_loads_no_heavy_library():
    script = (
        "import json, sys, gymnasium as gym, fieldgym\n"
        "from fieldgym.envs import ENVS\n"
        "heavy = [m for m in ('pandas', 'numba', 'torch', 'scipy') if m in sys.modules]\n"
        "registered = all(i in gym.registry for i in ENVS)\n"
        "print(json.dumps({'heavy': heavy, 'registered': registered, 'ids': len(ENVS)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["heavy"] == []
    assert found["registered"] and found["ids"] >= 9
