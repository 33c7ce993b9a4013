"""Learning-rate schedule shared by the trainers: a linear warm-up, a constant rate, then an optional
cosine decay to a floor. The decay matters on CPU, where runs are short: ending a run on a low rate
settles the weights that are shipped instead of leaving them wherever the last large step put them.

The decay can be placed by step (--decay-start/--decay-steps, for resuming a run whose length is known in
steps) or by time (--decay-minutes: the last M minutes of a run limited by --minutes, which is how the
one-command pipeline budgets its phases, since steps per minute differ by machine)."""
import math


def add_decay_arguments(parser, floor_option):
    """The decay options both trainers share; each trainer declares its own floor (`floor_option`)."""
    parser.add_argument('--decay-start', type=int, default=None,
                        help=f'step at which the learning rate starts a cosine decay to {floor_option}')
    parser.add_argument('--decay-steps', type=int, default=1000)
    parser.add_argument('--decay-minutes', type=float, default=None,
                        help=f'cosine decay to {floor_option} over the last M minutes of --minutes '
                             '(instead of by step)')


def time_progress(elapsed_minutes, run_minutes, decay_minutes):
    """How far into a decay over the last `decay_minutes` of a `run_minutes` run we are (0..1), or None
    before the decay starts or when no time-based decay is asked for."""
    if not decay_minutes:
        return None
    start = run_minutes - decay_minutes
    if elapsed_minutes < start:
        return None
    return min(1.0, (elapsed_minutes - start) / max(1e-9, decay_minutes))


def learning_rate(step, base, warmup=0, decay_start=None, decay_steps=1000, floor=1e-4, progress=None):
    """Rate for optimiser step `step` (0-based). `progress` (0..1, from time_progress) overrides the
    step-based decay position when given."""
    rate = base * min(1.0, (step + 1) / warmup) if warmup else base
    k = progress
    if k is None and decay_start is not None and step >= decay_start:
        k = min(1.0, (step - decay_start) / max(1, decay_steps))
    if k is not None:
        rate = floor + 0.5 * (base - floor) * (1 + math.cos(math.pi * k))
    return rate
