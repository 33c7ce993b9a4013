"""Scenes of the synthetic world: 2-3 sources, their phrases, sprites and motion (deterministic by seed).

A scene is fully determined by (split, index): splits use disjoint random streams, so train,
validation and test scenes never share material. `variation='heldout'` draws only the timbres and
the voice that training never uses (classes.HELD_OUT_*), to measure robustness to unheard recordings.
`variation='wide'` trains on every sound set and voice except the held-out ones, with augmentation
that imitates real recordings (rooms, microphones, drive, compression, noise, level); `'unseen'`
draws only the sound set and voices held out of it (classes.UNSEEN_*): the number that predicts
users' files. `'real'` draws only real recordings of players and speakers that training never hears
(classes.REAL_HELD_OUT*): the world's sprites and motion with real sound.
"""
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy.signal import butter, fftconvolve, lfilter

from .classes import (CLASSES, HELD_OUT_TIMBRE, HELD_OUT_VOICE, NEVER_TRAINED, NEVER_TRAINED_VOICES, RANGES,
                      REAL_HELD_OUT_TIMBRES, REAL_HELD_OUT_VOICES, TIMBRES, UNSEEN_TIMBRES, UNSEEN_VOICES, VOICES)

SR = 11025
SPLITS = {'train': 1, 'val': 2, 'test': 3, 'demo': 4}
KINDS = ['diff2', 'same2', 'speech_inst', 'three']
INSTRUMENTS = [c for c in CLASSES if c != 'speaker']


class Bank:
    """The asset bank (see assets.py), loaded once per process."""

    def __init__(self, path):
        b = np.load(path)
        self.notes = b['notes'].astype(np.float32) / 32768.0
        self.note_meta = b['note_meta'].astype(np.int64)
        self.speech = b['speech'].astype(np.float32) / 32768.0
        self.speech_offsets = b['speech_offsets']
        self.speech_voice = b['speech_voice'].astype(np.int64)
        self.photos = b['photos']
        self.sprites = {k[len('sprite_'):]: b[k] for k in b.files if k.startswith('sprite_')}
        peak = np.abs(self.notes).max(axis=1)
        self.note_ok = peak > 1e-3
        self.index = {}
        for i, (c, t, p, v) in enumerate(self.note_meta):
            if self.note_ok[i]:
                self.index.setdefault((int(c), int(t)), []).append(i)
        self.voices = sorted(set(int(v) for v in self.speech_voice))
        # Real players' recordings, kept whole per (class, timbre) (banks before them have none).
        self.recorded = {}
        if 'recordings' in b.files:
            audio = b['recordings'].astype(np.float32) / 32768.0
            off = b['recording_offsets']
            for i, (c, t) in enumerate(b['recording_meta'].astype(np.int64)):
                self.recorded.setdefault((int(c), int(t)), []).append(audio[off[i]:off[i + 1]])

    def timbres(self, cls):
        """Timbre indices of an instrument class that this bank holds notes or recordings for."""
        ci = CLASSES.index(cls)
        return sorted(t for (c, t) in list(self.index) + list(self.recorded) if c == ci)


@dataclass
class Source:
    cls: str
    timbre: int                  # timbre index in classes.TIMBRES[cls] (voice index for speakers)
    audio: np.ndarray            # float32 at SR, scene length, gain applied
    box: tuple                   # base (cx, cy, h) in frame units: centre x,y in 0..1, height / frame height
    amp: float                   # motion amplitude, fraction of frame height
    drift: tuple                 # (dx, dy) over the whole clip, fraction of frame size
    env: np.ndarray = field(default=None)  # per video frame, 0..1


@dataclass
class Scene:
    split: str
    index: int
    kind: str
    aspect: float                # width / height
    fps: float
    sources: list
    background: dict
    noise: np.ndarray = None     # what no source owns: a recording's noise floor ('wide' only)

    @property
    def mixture(self):
        mix = np.sum([s.audio for s in self.sources], axis=0)
        return mix if self.noise is None else mix + self.noise

    @property
    def n_frames(self):
        return int(np.floor(len(self.sources[0].audio) / SR * self.fps))


def rng_for(split, index, salt=0):
    return np.random.default_rng([SPLITS[split], int(index), salt])


# ---------------------------------------------------------------- audio

def _pitch_shift(x, semitones):
    if abs(semitones) < 1e-3:
        return x
    ratio = 2.0 ** (semitones / 12.0)
    n = int(len(x) / ratio)
    return np.interp(np.arange(n) * ratio, np.arange(len(x)), x).astype(np.float32)


def _biquad_peak(f0, gain_db, q):
    a = 10 ** (gain_db / 40)
    w = 2 * np.pi * f0 / SR
    alpha = np.sin(w) / (2 * q)
    b = [1 + alpha * a, -2 * np.cos(w), 1 - alpha * a]
    den = [1 + alpha / a, -2 * np.cos(w), 1 - alpha / a]
    return np.array(b) / den[0], np.array(den) / den[0]


def augment_timbre(x, rng):
    """Random EQ, reverb and level curve: widen what one class sounds like (training only)."""
    for _ in range(rng.integers(1, 4)):
        b, a = _biquad_peak(rng.uniform(150, 4500), rng.uniform(-8, 8), rng.uniform(0.5, 2.0))
        x = lfilter(b, a, x)
    if rng.random() < 0.6:
        rt60 = rng.uniform(0.15, 1.0)
        n = int(rt60 * SR)
        ir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)
        ir[0] = 0
        wet = fftconvolve(x, ir)[:len(x)]
        wet *= np.std(x) / (np.std(wet) + 1e-9)
        x = x + rng.uniform(0.05, 0.4) * wet
    return x.astype(np.float32)


def _soft_clip(x, rng):
    """Overdrive: a tanh stage driven 2-12x (an electric guitar's amp, a hot preamp)."""
    peak = np.abs(x).max() + 1e-9
    g = rng.uniform(2, 12)
    return (np.tanh(g * x / peak) / np.tanh(g) * peak).astype(np.float32)


def _compress(x, rng):
    """A feed-forward compressor on a 10 ms RMS envelope (ratio 2-6, threshold 6-20 dB below peak)."""
    win = int(0.01 * SR)
    env = np.sqrt(np.convolve(x ** 2, np.ones(win) / win, mode='same') + 1e-12)
    thr = env.max() * 10 ** (-rng.uniform(6, 20) / 20)
    ratio = rng.uniform(2, 6)
    gain = np.where(env > thr, (thr / env) ** (1 - 1 / ratio), 1.0)
    return (x * gain).astype(np.float32)


def _band_limit(x, rng):
    """A microphone or channel: telephone band, or a low-pass anywhere from 2 to 5 kHz."""
    if rng.random() < 0.4:
        b, a = butter(4, [300 / (SR / 2), 3400 / (SR / 2)], btype='band')
    else:
        b, a = butter(4, rng.uniform(2000, 5000) / (SR / 2))
    return lfilter(b, a, x).astype(np.float32)


def augment_recording(x, rng, cls):
    """What real recordings do to a source: the EQ and room of augment_timbre, then sometimes drive
    (often on guitars), compression, a narrower band and a slightly other tuning."""
    x = augment_timbre(x, rng)
    if rng.random() < (0.5 if cls == 'guitar' else 0.15):
        x = _soft_clip(x, rng)
    if rng.random() < 0.3:
        x = _compress(x, rng)
    if rng.random() < 0.25:
        x = _band_limit(x, rng)
    if rng.random() < 0.3:
        n = len(x)
        x = _pitch_shift(x, rng.uniform(-0.5, 0.5))
        x = np.pad(x, (0, max(0, n - len(x))))[:n]
    return x.astype(np.float32)


def noise_floor(n, level, rng):
    """Room tone and hiss: white or pink noise, or mains hum with harmonics, at an RMS of `level`."""
    kind = rng.choice(['white', 'pink', 'hum'])
    if kind == 'hum':
        t = np.arange(n) / SR
        f0 = rng.choice([50.0, 60.0])
        x = sum(rng.uniform(0.2, 1) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) for k in range(1, 6))
    else:
        x = rng.standard_normal(n)
        if kind == 'pink':
            x = lfilter([0.049922, -0.095993, 0.050612, -0.004408], [1, -2.494956, 2.017265, -0.522190], x)
    x = np.asarray(x, np.float64)
    return (x / (np.sqrt(np.mean(x ** 2)) + 1e-12) * level).astype(np.float32)


def make_song(rng):
    """What an ensemble shares: one tempo grid and one scale, so parts overlap in time and pitch."""
    bpm = rng.uniform(60, 170)
    return {'step': 60.0 / bpm / rng.choice([1, 2, 2, 4]), 'root': int(rng.integers(12)),
            'scale': [0, 2, 4, 5, 7, 9, 11] if rng.random() < 0.6 else [0, 2, 3, 5, 7, 8, 10]}


def _snap(pitch, song):
    if song is None:
        return pitch
    for d in (0, 1, -1, 2, -2):
        if (pitch + d - song['root']) % 12 in song['scale']:
            return pitch + d
    return pitch


def recorded_phrase(clips, n, rng, song=None):
    """A real player's recordings cut into pieces (a note, a run, a chord: 0.3-3 s from anywhere in a
    recording) and played one after another with rests, each a little retuned; their pitch is
    unknown, so a song (make_song) sets only where pieces start, on its tempo grid."""
    out = np.zeros(n, np.float32)
    step = 60.0 / rng.uniform(60, 170) if song is None else song['step']
    t = rng.uniform(0, 0.5) if song is None else step * int(rng.integers(0, 4))
    rest_p = rng.uniform(0.05, 0.35)
    key = rng.uniform(-2, 2)
    while t * SR < n:
        x = clips[rng.integers(len(clips))]
        m = min(len(x), int(rng.uniform(0.3, 3.0) * SR))
        start = int(rng.integers(0, len(x) - m + 1))
        s = _pitch_shift(x[start:start + m], key + rng.uniform(-1, 1)).copy()
        fade_in, fade_out = min(len(s) // 2, int(0.01 * SR)), min(len(s) // 2, int(0.05 * SR))
        s[:fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
        s[len(s) - fade_out:] *= np.linspace(1, 0, fade_out, dtype=np.float32)
        if rng.random() > rest_p:
            o = int(t * SR)
            out[o:o + len(s)] += rng.uniform(0.5, 1.3) * s[:n - o]
        t += len(s) / SR + step * rng.choice([0, 1, 1, 2, 4])
        if song is not None:
            t = np.ceil(t / step) * step
        if rng.random() < 0.05:
            t += rng.uniform(0.5, 2.5)  # a silent stretch
    return out


def instrument_phrase(bank, cls, timbre, n, rng, song=None):
    """Random notes in the instrument's range, random rhythm, velocity and rests; silence allowed.
    With a song (make_song) the phrase keeps to its tempo grid and scale. A recorded timbre plays
    pieces of its recordings instead (recorded_phrase)."""
    ci = CLASSES.index(cls)
    if (ci, timbre) in bank.recorded:
        return recorded_phrase(bank.recorded[(ci, timbre)], n, rng, song)
    out = np.zeros(n + SR * 2, np.float32)
    notes = bank.index[(ci, timbre)]
    meta = bank.note_meta
    if song is None:
        bpm = rng.uniform(60, 170)
        step = 60.0 / bpm / rng.choice([1, 2, 2, 4])
    else:
        step = song['step']
    t = rng.uniform(0, 0.5) if song is None else step * int(rng.integers(0, 4))
    rest_p = rng.uniform(0.05, 0.35)
    if cls == 'drums':
        pitches = sorted(set(int(meta[i, 2]) for i in notes))
        pattern = rng.choice(pitches, size=rng.integers(4, 9))
        k = 0
        while t * SR < n:
            if rng.random() > rest_p:
                p = pattern[k % len(pattern)] if rng.random() < 0.8 else rng.choice(pitches)
                cands = [i for i in notes if meta[i, 2] == p]
                i = cands[rng.integers(len(cands))]
                s = bank.notes[i] * rng.uniform(0.6, 1.2)
                o = int(t * SR)
                out[o:o + len(s)] += s[:len(out) - o]
            k += 1
            t += step
            if rng.random() < 0.04:
                t += rng.uniform(0.5, 2.5)  # a silent stretch
        return out[:n]
    lo, hi = RANGES[cls]
    pitch = rng.integers(lo, hi + 1)
    poly = cls in ('piano', 'guitar', 'accordion', 'banjo')
    while t * SR < n:
        dur = step * rng.choice([1, 1, 2, 2, 3, 4, 6, 8])
        if rng.random() > rest_p:
            pitch = _snap(int(np.clip(pitch + rng.integers(-5, 6), lo, hi)), song)
            chord = [pitch] + ([pitch + d for d in rng.choice([3, 4, 5, 7], size=rng.integers(1, 3))]
                               if poly and rng.random() < 0.25 else [])
            vel_gain = rng.uniform(0.5, 1.3)
            for p in chord:
                cands = [i for i in notes if abs(meta[i, 2] - p) <= 1.5]
                if not cands:
                    continue
                i = cands[rng.integers(len(cands))]
                s = _pitch_shift(bank.notes[i], p - meta[i, 2])
                keep = min(len(s), int((dur + 0.15) * SR))
                s = s[:keep].copy()
                fade = min(keep, int(0.05 * SR))
                s[keep - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
                o = int(t * SR)
                out[o:o + keep] += vel_gain * s[:len(out) - o]
        t += dur
        if rng.random() < 0.05:
            t += rng.uniform(0.5, 2.5)
    return out[:n]


def speech_phrase(bank, voice, n, rng):
    """Utterances of one espeak-ng voice with pauses; pitch varies by resampling."""
    out = np.zeros(n, np.float32)
    utts = np.nonzero(bank.speech_voice == voice)[0]
    shift = rng.uniform(-2, 2)
    t = int(rng.uniform(0, 0.6) * SR)
    while t < n:
        u = utts[rng.integers(len(utts))]
        s = bank.speech[bank.speech_offsets[u]:bank.speech_offsets[u + 1]]
        s = _pitch_shift(s, shift)
        m = min(len(s), n - t)
        out[t:t + m] += s[:m]
        t += len(s) + int(rng.uniform(0.2, 1.5) * SR)
    return out


def envelope(x, fps):
    """RMS per video frame, divided by the clip maximum (0..1), as the world defines env(t)."""
    hop = SR / fps
    n = int(np.floor(len(x) / hop))
    env = np.array([np.sqrt(np.mean(x[int(i * hop):int((i + 1) * hop)] ** 2) + 1e-12)
                    for i in range(n)], np.float32)
    return env / (env.max() + 1e-9)


# ---------------------------------------------------------------- scene sampling

def _pick_timbre(cls, rng, variation, bank):
    if variation in ('wide', 'unseen', 'real'):
        # 'unseen' and 'real' draw only their held-out material, 'wide' anything never held out.
        if cls == 'speaker':
            held = {'wide': NEVER_TRAINED_VOICES, 'unseen': UNSEEN_VOICES, 'real': REAL_HELD_OUT_VOICES}[variation]
            candidates = bank.voices
        else:
            held = {'wide': NEVER_TRAINED, 'unseen': UNSEEN_TIMBRES, 'real': REAL_HELD_OUT_TIMBRES}[variation][cls]
            candidates = bank.timbres(cls)
        return int(rng.choice([t for t in candidates if (t in held) != (variation == 'wide')]))
    if cls == 'speaker':
        if variation == 'heldout':
            return HELD_OUT_VOICE
        return int(rng.choice([v for v in range(len(VOICES)) if v != HELD_OUT_VOICE]))
    if variation == 'heldout':
        return HELD_OUT_TIMBRE[cls]
    allowed = [t for t in range(len(TIMBRES[cls])) if t != HELD_OUT_TIMBRE[cls]]
    if variation == 'canonical':
        return 0
    return int(rng.choice(allowed))


def real_instruments(bank):
    """The instrument classes that have held-out real recordings in this bank ('real' scenes)."""
    return [c for c in INSTRUMENTS if set(REAL_HELD_OUT_TIMBRES[c]) & set(bank.timbres(c))]


def _classes_for(kind, rng, instruments=INSTRUMENTS):
    inst = list(instruments)
    if kind == 'diff2':
        return list(rng.choice(inst, size=2, replace=False))
    if kind == 'same2':
        c = rng.choice([c for c in inst if c != 'drums'])
        return [c, c]
    if kind == 'speech_inst':
        return ['speaker'] + list(rng.choice(inst, size=rng.integers(1, 3), replace=False))
    if kind == 'three':
        return list(rng.choice(inst, size=3, replace=False))
    if kind == 'solo':
        return [rng.choice(inst + ['speaker'])]
    if kind == 'two_speakers':
        return ['speaker', 'speaker']
    raise ValueError(kind)


def _place(n, aspect, rng, heights):
    """Non-overlapping base boxes (cx, cy, h) in frame units, leaving room for motion and drift."""
    heights = np.array(heights, dtype=float)
    for attempt in range(2000):
        if attempt and attempt % 100 == 0:
            heights = np.maximum(heights * 0.95, 0.25 if attempt < 1000 else 0.18)
        boxes = []
        for h in heights:
            w = h / aspect  # sprites are roughly square in pixels
            cx = rng.uniform(w / 2 + 0.03, 1 - w / 2 - 0.03)
            cy = rng.uniform(h / 2 + 0.1, 1 - h / 2 - 0.04)
            boxes.append((cx, cy, h, w))
        # apart by the sprites' widths plus drift room, or their heights plus motion room
        ok = all(abs(a[0] - b[0]) > (a[3] + b[3]) / 2 * 1.1 + 0.05 or abs(a[1] - b[1]) > (a[2] + b[2]) / 2 * 1.1 + 0.1
                 for i, a in enumerate(boxes) for b in boxes[i + 1:])
        if ok:
            return [(cx, cy, h) for cx, cy, h, _ in boxes]
    raise RuntimeError('could not place sprites')


def make_scene(bank, split, index, seconds=6.0, kind=None, variation='train', fps=8.0,
               augment=None, n_samples=None):
    """Build one scene. variation: 'train' (FluidR3 family timbres, no held-out), 'canonical' (the
    world's GM program only), 'heldout' (only the FluidR3 timbres training never uses), 'wide' (every
    sound set, recording and voice but the held-out ones, with recording augmentation when augmenting),
    'unseen' (only the held-out sound set and voices), 'real' (only held-out real recordings, of the
    classes that have them: real_instruments). augment defaults to split=='train'. Two speakers always
    have two voices ('heldout' takes the second from the unseen voices: it holds one espeak voice)."""
    rng = rng_for(split, index)
    if kind is None:
        if variation == 'wide':  # users bring dialogue too: two voices at once
            kind = rng.choice(KINDS + ['two_speakers'], p=[0.36, 0.14, 0.24, 0.18, 0.08])
        else:
            kind = rng.choice(KINDS, p=[0.4, 0.15, 0.25, 0.2])
    if augment is None:
        augment = split == 'train'
    n = n_samples or int(seconds * SR)
    instruments = INSTRUMENTS
    if variation == 'real':
        instruments = real_instruments(bank)
        if len(instruments) < 3:
            raise ValueError("this bank holds too few held-out real recordings for 'real' scenes: install "
                             "lmms-common, qabcs-data, hydrogen-drumkits and ktuberling-data, then rebuild it "
                             "(python3 -m training.world.assets)")
    classes = _classes_for(kind, rng, instruments)
    aspects = [16 / 9, 4 / 3, 1.0, 3 / 2, 2.0] if len(classes) < 3 else [16 / 9, 4 / 3, 3 / 2, 2.0]
    aspect = float(rng.choice(aspects))
    heights = rng.uniform(0.25, 1 / 3, size=len(classes))
    boxes = _place(len(classes), aspect, rng, heights)
    sources = []
    used = set()
    wide = variation == 'wide' and augment
    song = make_song(rng) if wide and rng.random() < 0.35 else None
    for cls, box in zip(classes, boxes):
        timbre = _pick_timbre(cls, rng, variation, bank)
        if cls == 'speaker' and variation != 'heldout':
            while (cls, timbre) in used:  # two speakers: two voices
                timbre = _pick_timbre(cls, rng, variation, bank)
        elif cls == 'speaker' and (cls, timbre) in used:
            # 'heldout' has one espeak voice: the second speaker is another voice no training uses.
            timbre = int(rng.choice([v for v in UNSEEN_VOICES if v != HELD_OUT_VOICE and v in bank.voices]))
        used.add((cls, timbre))
        if cls == 'speaker':
            audio = speech_phrase(bank, timbre, n, rng)
        else:
            audio = instrument_phrase(bank, cls, timbre, n, rng, song)
        if wide:
            audio = augment_recording(audio, rng, cls)
        elif augment:
            audio = augment_timbre(audio, rng)
        rms = np.sqrt(np.mean(audio ** 2)) + 1e-9
        audio = audio / rms * 0.05 * 10 ** (rng.uniform(-6, 6) / 20)
        ang = rng.uniform(0, 2 * np.pi)
        mag = rng.uniform(0, 0.05)
        sources.append(Source(cls=cls, timbre=timbre, audio=audio.astype(np.float32), box=box,
                              amp=float(rng.uniform(0.04, 0.08)),
                              drift=(mag * np.cos(ang), mag * np.sin(ang))))
    peak = np.abs(np.sum([s.audio for s in sources], axis=0)).max()
    if peak > 0.95:
        for s in sources:
            s.audio *= 0.95 / peak
    noise = None
    if wide:
        # Level: the file's own loudness, from 30 dB under the world's to its full level; the
        # model's input normalisation must make this invisible. Noise: 25-60 dB under the sources.
        level = 10 ** (rng.uniform(-30, 0) / 20)
        for s in sources:
            s.audio *= level
        if rng.random() < 0.5:
            mix_rms = np.sqrt(np.mean(np.sum([s.audio for s in sources], axis=0) ** 2)) + 1e-9
            noise = noise_floor(n, mix_rms * 10 ** (-rng.uniform(25, 60) / 20), rng)
    for s in sources:
        s.env = envelope(s.audio, fps)
    background = {'type': rng.choice(['noise', 'gradient', 'photo', 'blobs'], p=[0.25, 0.25, 0.3, 0.2]),
                  'seed': int(rng.integers(1 << 30))}
    return Scene(split=split, index=int(index), kind=str(kind), aspect=aspect, fps=fps,
                 sources=sources, background=background, noise=noise)


# ---------------------------------------------------------------- video

def render_background(scene, bank, width, height):
    rng = np.random.default_rng(scene.background['seed'])
    kind = scene.background['type']
    if kind == 'photo' and len(bank.photos):
        im = Image.fromarray(bank.photos[rng.integers(len(bank.photos))])
        if rng.random() < 0.5:
            im = im.transpose(Image.FLIP_LEFT_RIGHT)
        return np.array(im.resize((width, height), Image.BILINEAR))
    if kind == 'gradient':
        c0, c1 = rng.integers(0, 256, size=(2, 3))
        ang = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:height, 0:width]
        t = (xx / width * np.cos(ang) + yy / height * np.sin(ang))
        t = (t - t.min()) / (t.max() - t.min() + 1e-9)
        return (c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]).astype(np.uint8)
    if kind == 'blobs':
        im = np.full((height, width, 3), rng.integers(0, 256, size=3), np.float32)
        yy, xx = np.mgrid[0:height, 0:width]
        for _ in range(rng.integers(3, 9)):
            cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.1, 0.5) * height
            m = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
            im = im * (1 - m) + rng.integers(0, 256, size=3)[None, None] * m
        return im.astype(np.uint8)
    small = rng.integers(0, 256, size=(max(2, height // 16), max(2, width // 16), 3)).astype(np.uint8)
    im = Image.fromarray(small).resize((width, height), Image.BICUBIC)
    arr = np.array(im).astype(np.float32)
    arr = arr * rng.uniform(0.3, 1.0) + rng.uniform(0, 120)
    return np.clip(arr + rng.normal(0, 6, arr.shape), 0, 255).astype(np.uint8)


def sprite_geometry(scene, src, frame_index, width, height):
    """Pixel box (x0, y0, x1, y1) of a source's sprite in one frame: drift + A*env up + 1+0.1*env scale."""
    n = max(1, scene.n_frames - 1)
    e = float(src.env[min(frame_index, len(src.env) - 1)])
    prog = frame_index / n
    cx = (src.box[0] + src.drift[0] * prog) * width
    cy = (src.box[1] + src.drift[1] * prog) * height - src.amp * e * height
    h = src.box[2] * height * (1 + 0.1 * e)
    w = h  # glyph sprites are about square
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def render_frame(scene, bank, frame_index, width, height, background=None):
    """RGB uint8 frame and the sprite boxes in pixels (n, 4) as x0, y0, x1, y1."""
    bg = render_background(scene, bank, width, height) if background is None else background
    im = Image.fromarray(bg).convert('RGBA')
    boxes = []
    for src in scene.sources:
        x0, y0, x1, y1 = sprite_geometry(scene, src, frame_index, width, height)
        key = src.cls
        if src.cls == 'speaker':
            e = float(src.env[min(frame_index, len(src.env) - 1)])
            key = 'speaker_open' if e > 0.3 else 'speaker'
        sw, sh = max(1, int(round(x1 - x0))), max(1, int(round(y1 - y0)))
        sprite = Image.fromarray(bank.sprites[key]).resize((sw, sh), Image.BILINEAR)
        im.alpha_composite(sprite, (int(round(x0)), int(round(y0))))
        boxes.append((x0, y0, x0 + sw, y0 + sh))
    return np.array(im.convert('RGB')), np.array(boxes, np.float32)
