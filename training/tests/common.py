"""Shared fixtures: the asset bank is built once per machine (about 30 s) into training/cache/."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BANK = os.path.join(ROOT, 'training', 'cache', 'bank.npz')
_bank = None


def bank():
    global _bank
    if _bank is None:
        if not os.path.exists(BANK):
            subprocess.run([sys.executable, '-m', 'training.world.assets', '--out', BANK], cwd=ROOT, check=True)
        from training.world.scene import Bank
        _bank = Bank(BANK)
    return _bank
