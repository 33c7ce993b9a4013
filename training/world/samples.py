"""Training/evaluation samples cut from scenes: one model window of audio plus one video frame."""
import numpy as np

from ..audio import HOP, N_FRAMES, SR, WIN_SAMPLES
from ..nets import IMG_H, IMG_W
from .scene import make_scene, render_frame, rng_for

MAX_SOURCES = 3
STRIDE = 8
GRID_H, GRID_W = IMG_H // STRIDE, IMG_W // STRIDE


def frame_span_weights(t, fps, n_frames=N_FRAMES):
    """Row over STFT frames selecting those whose centre lies in video frame t's time span."""
    centres = np.arange(n_frames) * HOP / SR
    w = ((centres >= t / fps) & (centres < (t + 1) / fps)).astype(np.float32)
    if w.sum() == 0:
        w[min(n_frames - 1, int(round(t / fps * SR / HOP)))] = 1
    return w / w.sum()


def make_sample(bank, split, index, kind=None, variation=None):
    variation = variation or ('train' if split == 'train' else 'train_test')
    var = 'train' if variation == 'train_test' else variation
    scene = make_scene(bank, split, index, kind=kind, variation=var, n_samples=WIN_SAMPLES)
    rng = rng_for(split, index, salt=1)
    t = int(rng.integers(scene.n_frames))
    frame, boxes = render_frame(scene, bank, t, IMG_W, IMG_H)
    n = len(scene.sources)
    sources = np.zeros((MAX_SOURCES, WIN_SAMPLES), np.float32)
    pixels = np.zeros((MAX_SOURCES + 1, 2), np.int64)   # (gy, gx); last row is a background pixel
    valid = np.zeros(MAX_SOURCES, np.float32)
    sounding = np.zeros(MAX_SOURCES, np.float32)
    for i, s in enumerate(scene.sources):
        sources[i] = s.audio
        valid[i] = 1
        x0, y0, x1, y1 = boxes[i]
        px = rng.uniform(x0 + 0.2 * (x1 - x0), x1 - 0.2 * (x1 - x0))
        py = rng.uniform(y0 + 0.2 * (y1 - y0), y1 - 0.2 * (y1 - y0))
        pixels[i] = (np.clip(int(py // STRIDE), 0, GRID_H - 1), np.clip(int(px // STRIDE), 0, GRID_W - 1))
        sounding[i] = float(s.env[min(t, len(s.env) - 1)] > 0.3)
    # Localization target: grid cells whose centre is inside a sounding source's box.
    gy, gx = np.mgrid[0:GRID_H, 0:GRID_W]
    cy, cx = (gy + 0.5) * STRIDE, (gx + 0.5) * STRIDE
    loc = np.zeros((GRID_H, GRID_W), np.float32)
    inside_any = np.zeros((GRID_H, GRID_W), bool)
    for i in range(n):
        x0, y0, x1, y1 = boxes[i]
        inside = (cx >= x0) & (cx < x1) & (cy >= y0) & (cy < y1)
        inside_any |= (cx >= x0 - 6) & (cx < x1 + 6) & (cy >= y0 - 6) & (cy < y1 + 6)
        if sounding[i]:
            loc[inside] = 1
    free = np.argwhere(~inside_any)
    pixels[MAX_SOURCES] = free[rng.integers(len(free))] if len(free) else (0, 0)
    box_arr = np.zeros((MAX_SOURCES, 4), np.float32)
    box_arr[:n] = boxes
    classes = np.full(MAX_SOURCES, -1, np.int64)
    from .classes import CLASSES
    for i, s in enumerate(scene.sources):
        classes[i] = CLASSES.index(s.cls)
    return {
        'mix': scene.mixture.astype(np.float32), 'sources': sources, 'valid': valid,
        'frame': np.ascontiguousarray(frame.transpose(2, 0, 1)), 'pixels': pixels,
        'sounding': sounding, 'loc': loc, 'boxes': box_arr, 'classes': classes,
        'span': frame_span_weights(t, scene.fps), 'kind': scene.kind,
    }
