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


def make_motion_sample(bank, split, index, kind=None, variation=None, shift_room_s=0.0):
    """A model window with all its video frames (T = 48 at 8 fps) for the motion stage.
    With shift_room_s > 0 the scene's audio runs on past the window, so a time-shifted copy of a
    source's audio (the AME negative) can be cut from the same recording."""
    from ..motion import MOTION_T
    var = variation or ('train' if split == 'train' else 'train')
    fps = 8.0
    n = int(MOTION_T / fps * SR) + int(shift_room_s * SR)
    scene = make_scene(bank, split, index, kind=kind, variation=var, n_samples=n, fps=fps)
    rng = rng_for(split, index, salt=2)
    from .scene import render_background
    bg = render_background(scene, bank, IMG_W, IMG_H)
    frames, boxes = [], []
    for t in range(MOTION_T):
        f, b = render_frame(scene, bank, t, IMG_W, IMG_H, background=bg)
        frames.append(f.transpose(2, 0, 1))
        boxes.append(b)
    mid = MOTION_T // 2
    nsrc = len(scene.sources)
    sources = np.zeros((MAX_SOURCES, WIN_SAMPLES), np.float32)
    pixels = np.zeros((MAX_SOURCES, 2), np.int64)
    valid = np.zeros(MAX_SOURCES, np.float32)
    env = np.zeros((MAX_SOURCES, MOTION_T), np.float32)
    for i, s in enumerate(scene.sources):
        sources[i] = s.audio[:WIN_SAMPLES]
        valid[i] = 1
        x0, y0, x1, y1 = boxes[mid][i]
        px = rng.uniform(x0 + 0.2 * (x1 - x0), x1 - 0.2 * (x1 - x0))
        py = rng.uniform(y0 + 0.2 * (y1 - y0), y1 - 0.2 * (y1 - y0))
        pixels[i] = (np.clip(int(py // STRIDE), 0, GRID_H - 1), np.clip(int(px // STRIDE), 0, GRID_W - 1))
        env[i] = s.env[:MOTION_T]
    out = {'mix': scene.mixture[:WIN_SAMPLES].astype(np.float32), 'sources': sources, 'valid': valid,
           'frames': np.stack(frames), 'frame': frames[mid], 'pixels': pixels, 'env': env,
           'boxes': np.stack([np.pad(b, ((0, MAX_SOURCES - nsrc), (0, 0))) for b in boxes]).astype(np.float32)}
    if shift_room_s > 0:
        shift = int(rng.uniform(1.0, shift_room_s) * SR) * (1 if rng.random() < 0.5 else -1)
        # negative: the same source's audio moved by 1..shift_room_s seconds (wraps within the take)
        out['shifted'] = np.roll(scene.sources[0].audio, -shift)[:WIN_SAMPLES].astype(np.float32)
    return out
