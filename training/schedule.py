"""Learning-rate schedule shared by the trainers: a linear warm-up, a constant rate, then an optional
cosine decay to a floor. The decay matters on CPU, where runs are short: ending a run on a low rate
settles the weights that are shipped instead of leaving them wherever the last large step put them."""
import math


def learning_rate(step, base, warmup=0, decay_start=None, decay_steps=1000, floor=1e-4):
    """Rate for optimiser step `step` (0-based)."""
    rate = base * min(1.0, (step + 1) / warmup) if warmup else base
    if decay_start is not None and step >= decay_start:
        k = min(1.0, (step - decay_start) / max(1, decay_steps))
        rate = floor + 0.5 * (base - floor) * (1 + math.cos(math.pi * k))
    return rate
