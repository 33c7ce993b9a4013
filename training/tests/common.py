"""Shared fixtures: a quick asset bank (every sound set, fewer notes and utterances) is built once per
machine into training/cache/test-bank.npz (again when the timbre or voice lists change); the training
bank beside it is left alone."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BANK = os.path.join(ROOT, 'training', 'cache', 'test-bank.npz')
_bank = None


def _stale(path):
    """Missing, or built for other timbre and voice lists than the code's."""
    if not os.path.exists(path):
        return True
    import numpy as np
    from training.world.assets import layout
    with np.load(path) as b:
        return 'layout' not in b.files or str(b['layout']) != layout()


def bank():
    global _bank
    if _bank is None:
        if _stale(BANK):
            subprocess.run([sys.executable, '-m', 'training.world.assets', '--quick', '--out', BANK], cwd=ROOT, check=True)
        from training.world.scene import Bank
        _bank = Bank(BANK)
    return _bank
